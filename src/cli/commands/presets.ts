import { PRESETS } from "../../settings/presets.ts";
import { EXIT_OK, printJson, type CliIo } from "../io.ts";
import { COMMON_OPTIONS, parseCommandArgs } from "../options.ts";

export const usage = `Usage: herald presets [--json]

Lists the SMTP provider presets (use one with: herald validate --preset NAME).

Options:
      --json             print the presets as JSON
  -h, --help             show this help

Exit codes: 0 listed, 2 usage error.
`;

export async function presetsCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, COMMON_OPTIONS);
  if (values.help) {
    io.stdout(usage);
    return EXIT_OK;
  }
  if (values.json) {
    printJson(io, PRESETS);
    return EXIT_OK;
  }
  for (const preset of PRESETS) {
    const security = preset.connectionSecurity === "" ? '""' : preset.connectionSecurity;
    io.stdout(
      `${preset.name.padEnd(11)} ${preset.server.padEnd(34)} port ${String(preset.port).padEnd(4)} ${security.padEnd(9)} auth ${preset.auth ? "yes" : "no"}  (${preset.description})\n`,
    );
    if (preset.note) io.stdout(`${"".padEnd(12)}${preset.note}\n`);
  }
  return EXIT_OK;
}
