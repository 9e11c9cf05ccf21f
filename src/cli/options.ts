import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./io.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Options every command takes. */
export const COMMON_OPTIONS = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
} as const satisfies Options;

/** Options of commands that load settings. */
export const SETTINGS_OPTIONS = {
  config: { type: "string", short: "c" },
  "ssm-prefix": { type: "string" },
} as const satisfies Options;

/** parseArgs in strict mode, with its errors turned into usage errors. */
export function parseCommandArgs<T extends Options>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
