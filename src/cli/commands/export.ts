import { readFile } from "node:fs/promises";
import {
  ConfigShapeError,
  EXPORT_FORMATS,
  formatExport,
  mergeIntoConfig,
  selectExported,
  UnexportableValueError,
  type ExportFormat,
} from "../../operations/export-settings.ts";
import { replaceKeepingMode, writeOwnerOnly } from "../atomic-file.ts";
import { formatProblems, plural, printable } from "../format.ts";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, printJson, UsageError, type CliIo } from "../io.ts";
import { loadSettingsOrReport } from "../load-or-usage.ts";
import { COMMON_OPTIONS, parseCommandArgs, SETTINGS_OPTIONS } from "../options.ts";
import { openCliRuntime } from "../settings-options.ts";

export const usage = `Usage: herald export --format FORMAT [--merge FILE | --output FILE] [--include-password]
                     [--config FILE] [--ssm-prefix PREFIX] [--json]

Writes the settings (defaults < config file < SSM < MM_* environment variables) for a
Mattermost server, each under the name Mattermost reads. Only the settings a source gives
are written: Mattermost's defaults are Herald's.

Formats:
  env          MM_* lines for a systemd EnvironmentFile (also: set -a; . FILE)
  docker-env   MM_* lines for docker --env-file (values taken literally)
  config       the settings in config.json's shape; with --merge, set in an existing file
  mmctl        mmctl config set commands, shell-quoted

Options:
      --format F         one of ${EXPORT_FORMATS.join(", ")} (--merge implies config)
      --merge FILE       set the settings in Mattermost's config.json FILE, keeping every other
                         key, its mode and owner (written whole, then renamed over it)
  -o, --output FILE      write to FILE, owner-only (0600), instead of stdout
      --include-password also write EmailSettings.SMTPPassword (left out otherwise)
  -c, --config FILE      Mattermost-shaped config.json (default: $HERALD_CONFIG_FILE)
      --ssm-prefix P     read SSM parameters under P (default: $HERALD_PARAMETER_PREFIX)
      --json             print what was exported as JSON (the text as "content" on stdout)
  -h, --help             show this help

Exit codes: 0 exported, 1 a value the format cannot carry, 2 usage error or unreadable input.
`;

function chosenFormat(values: { format?: string; merge?: string; output?: string }): ExportFormat {
  if (values.merge !== undefined && values.output !== undefined) {
    throw new UsageError("--merge and --output both name the file to write: give one");
  }
  const format = values.format ?? (values.merge !== undefined ? "config" : undefined);
  if (format === undefined) throw new UsageError(`--format is required: one of ${EXPORT_FORMATS.join(", ")}`);
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(
      `unknown --format ${JSON.stringify(format)}; choose one of ${EXPORT_FORMATS.join(", ")}`,
    );
  }
  if (values.merge !== undefined && format !== "config") {
    throw new UsageError(`--merge writes into a config.json: use it with --format config, not ${format}`);
  }
  return format as ExportFormat;
}

export async function exportCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...COMMON_OPTIONS,
    ...SETTINGS_OPTIONS,
    format: { type: "string" },
    merge: { type: "string" },
    output: { type: "string", short: "o" },
    "include-password": { type: "boolean" },
  });
  if (values.help) {
    io.stdout(usage);
    return EXIT_OK;
  }
  const format = chosenFormat(values);
  const runtime = openCliRuntime(io, values, "herald-export");
  const loaded = await loadSettingsOrReport(runtime.settingsSources, io).finally(() => runtime.close());
  if (!loaded) return EXIT_USAGE;

  const includePassword = values["include-password"] === true;
  const { settings, withheld } = selectExported(loaded, includePassword);
  if (loaded.problems.length > 0) {
    io.stderr(`${plural(loaded.problems.length, "problem")} in the settings (run herald validate):\n`);
    io.stderr(formatProblems(loaded.problems));
  }
  for (const def of withheld) {
    io.stderr(`${def.path} was left out: pass --include-password to export it\n`);
  }

  let content: string;
  try {
    content = formatExport(format, settings);
  } catch (error) {
    if (!(error instanceof UnexportableValueError)) throw error;
    if (values.json) printJson(io, { ok: false, code: error.code, message: error.message, hint: error.hint });
    else io.stderr(`cannot export: ${printable(error.message)}\n  fix: ${error.hint}\n`);
    return EXIT_FAILED;
  }

  let file: { path: string; mode: string } | undefined;
  if (values.merge !== undefined) {
    const path = values.merge;
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "read error";
      io.stderr(`cannot read ${printable(path)} (${code}): give --merge Mattermost's config.json\n`);
      return EXIT_USAGE;
    }
    let merged: string;
    try {
      merged = mergeIntoConfig(text, settings);
    } catch (error) {
      if (!(error instanceof ConfigShapeError)) throw error;
      io.stderr(`cannot merge into ${printable(path)}: it ${error.message}\n  fix: ${error.hint}\n`);
      return EXIT_USAGE;
    }
    const mode = await written(io, path, () => replaceKeepingMode(path, merged));
    if (mode === undefined) return EXIT_FAILED;
    file = { path, mode: octal(mode) };
    if (includePassword && (mode & 0o077) !== 0) {
      io.stderr(
        `warning: ${printable(path)} (mode ${octal(mode)}) now holds the SMTP password and others may read it: chmod 600 it\n`,
      );
    }
  } else if (values.output !== undefined) {
    const path = values.output;
    if ((await written(io, path, () => writeOwnerOnly(path, content).then(() => 0o600))) === undefined) {
      return EXIT_FAILED;
    }
    file = { path, mode: octal(0o600) };
  }

  if (values.json) {
    printJson(io, {
      ok: true,
      format,
      settings: settings.map((s) => ({
        path: s.path,
        variable: s.variable,
        source: loaded.origins.get(s.def.path)?.source,
      })),
      withheld: withheld.map((def) => def.path),
      ...(file ? { file } : { content }),
    });
  } else if (file) {
    const verb = values.merge !== undefined ? "merged into" : "written to";
    io.stdout(`${plural(settings.length, "setting")} ${verb} ${printable(file.path)} (mode ${file.mode})\n`);
  } else {
    io.stdout(content);
  }
  return EXIT_OK;
}

/** The mode of the file written, or undefined after saying why it could not be (nothing changed). */
async function written(io: CliIo, path: string, write: () => Promise<number>): Promise<number | undefined> {
  try {
    return await write();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    io.stderr(
      `cannot write ${printable(path)} (${code}); it was left as it was: check the directory exists and is writable\n`,
    );
    return undefined;
  }
}

const octal = (mode: number) => `0${mode.toString(8).padStart(3, "0")}`;
