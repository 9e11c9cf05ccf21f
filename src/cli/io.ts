import { HeraldError } from "../errors.ts";

/** What a CLI command may touch: its output streams and environment (swapped in tests). */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** stdout is a terminal: readable output may be coloured (NO_COLOR aside). @default false */
  isTTY?: boolean;
}

/** Exit codes of every command: 0 success, 1 the check or send failed, 2 usage or unreadable input. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A mistake in how the command was called; printed with the command's usage, exit 2. */
export class UsageError extends HeraldError {
  override name = "UsageError";
  readonly code = "EUSAGE";
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}
