import { HeraldError } from "../errors.ts";

/**
 * What a CLI command may touch: its standard streams and environment (swapped in tests). A
 * command never reaches for `process` itself.
 */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** stdout is a terminal: readable output may be coloured (NO_COLOR aside). @default false */
  isTTY?: boolean;
  /** stderr is a terminal: progress may be redrawn in place. @default false */
  stderrIsTTY?: boolean;
  /**
   * Standard input (`herald send --events -`, a key typed for `ses-smtp-password`); a terminal
   * has `isTTY` set. @default none: a command that needs it says so (usage error)
   */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
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

/** The command's standard input, or a usage error saying that there is none. */
export function stdinOf(io: CliIo): NodeJS.ReadableStream & { isTTY?: boolean } {
  if (io.stdin === undefined)
    throw new UsageError("no standard input to read from: give a file instead of -");
  return io.stdin;
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}
