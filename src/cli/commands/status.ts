import { parseArgs } from "node:util";
import { allDelivered, StatusConfigError } from "../../status/record.ts";
import { openStatusStore } from "../../status/open.ts";
import { statusLines } from "../../status/format.ts";
import { printable } from "../format.ts";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, printJson, UsageError, type CliIo } from "../io.ts";
import { COMMON_OPTIONS } from "../options.ts";
import { openCliRuntime } from "../settings-options.ts";

export const usage = `Usage: herald status ID [--json]

Shows what is known about notification ID: how the pipeline sent it (transport, provider
message id, time) or why not, and per recipient the latest state SES reported (sent,
delivered, delayed, bounced, complained, rejected, unknown), when, and why. Reads the
status record in the table HERALD_TABLE_NAME (records are kept HERALD_STATUS_RETENTION_DAYS
days after the send, 30 by default).

Options:
      --json             print the record as JSON
  -h, --help             show this help

Exit codes: 0 every recipient delivered, 1 otherwise (over plain SMTP only the send is
known, so 1), 2 unknown id (or expired, or usage error).
`;

export async function statusCommand(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: COMMON_OPTIONS, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(usage);
    return EXIT_OK;
  }
  if (positionals.length !== 1 || positionals[0] === "") {
    throw new UsageError("give one notification id, e.g. herald status post.abc123");
  }
  const id = positionals[0]!;
  const runtime = openCliRuntime(io, {}, "herald-status");
  try {
    let store;
    try {
      store = openStatusStore(runtime);
    } catch (error) {
      if (error instanceof StatusConfigError) throw new UsageError(`${error.message} (${error.hint})`);
      throw error;
    }
    if (!store) {
      throw new UsageError(
        "HERALD_TABLE_NAME is not set: status records live in the stack's table (its TableName output)",
      );
    }
    const status = await store.read(id);
    if (!status) {
      if (values.json) printJson(io, { id, found: false });
      else
        io.stderr(
          `herald status: no status record for ${printable(JSON.stringify(id))} (unknown id, or expired)\n`,
        );
      return EXIT_USAGE;
    }
    if (values.json) printJson(io, { found: true, ...status });
    else io.stdout(`${statusLines(status).map(printable).join("\n")}\n`);
    return allDelivered(status) ? EXIT_OK : EXIT_FAILED;
  } finally {
    await runtime.close();
  }
}
