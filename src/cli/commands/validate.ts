import type { Transport } from "../../constants.ts";
import type { HeraldSettings } from "../../settings/model.ts";
import { findPreset, presetConfig, PRESETS } from "../../settings/presets.ts";
import { loadSettings, type LoadSettingsOptions } from "../../settings/load.ts";
import { validateLoadedSettings } from "../../settings/validate.ts";
import { colorsFor, formatProblems, plural, printable } from "../format.ts";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, printJson, UsageError, type CliIo } from "../io.ts";
import { COMMON_OPTIONS, parseCommandArgs, SETTINGS_OPTIONS } from "../options.ts";
import { openCliRuntime } from "../settings-options.ts";

export const usage = `Usage: herald validate [--config FILE] [--ssm-prefix PREFIX] [--preset NAME [--region R]] [--json]

Loads the settings (defaults < preset < config file < SSM < MM_* environment variables)
and reports every problem at once, each with the setting, severity, message and fix.

Options:
  -c, --config FILE      Mattermost-shaped config.json (default: $HERALD_CONFIG_FILE)
      --ssm-prefix P     read SSM parameters under P (default: $HERALD_PARAMETER_PREFIX)
      --preset NAME      start from a provider preset: ${PRESETS.map((p) => p.name).join(", ")}
      --region R         AWS region for the amazon-ses preset (default: $AWS_REGION)
      --json             print the result as JSON
  -h, --help             show this help

Exit codes: 0 valid, 1 invalid, 2 usage error or unreadable input.
`;

export async function validateCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...COMMON_OPTIONS,
    ...SETTINGS_OPTIONS,
    preset: { type: "string" },
    region: { type: "string" },
  });
  if (values.help) {
    io.stdout(usage);
    return EXIT_OK;
  }
  const runtime = openCliRuntime(io, values, "herald-validate");
  const options: LoadSettingsOptions = { ...runtime.settingsSources };
  if (values.preset !== undefined) {
    const preset = findPreset(values.preset);
    if (!preset) {
      throw new UsageError(
        `unknown preset ${JSON.stringify(values.preset)}; choose one of ${PRESETS.map((p) => p.name).join(", ")}`,
      );
    }
    const region = values.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
    if (preset.server.includes("{region}") && !region) {
      throw new UsageError(
        `the ${preset.name} preset needs a region: pass --region (e.g. --region eu-west-1)`,
      );
    }
    options.preset = { name: preset.name, config: presetConfig(preset, region ?? "") };
  }
  const loaded = await loadSettings(options).finally(() => runtime.close());
  const result = validateLoadedSettings(loaded);
  if (values.json) {
    printJson(io, result);
  } else {
    const errors = result.problems.filter((p) => p.severity === "error").length;
    const warnings = result.problems.length - errors;
    const colors = colorsFor(io);
    const verdict = result.valid ? colors.ok("valid") : colors.failed("invalid");
    io.stdout(`Settings ${verdict}: ${plural(errors, "error")}, ${plural(warnings, "warning")}\n`);
    if (result.valid) io.stdout(`  in effect: ${inEffect(loaded.settings, runtime.config.transport)}\n`);
    io.stdout(formatProblems(result.problems, colors));
  }
  if (loaded.inputErrors.length > 0) return EXIT_USAGE;
  return result.valid ? EXIT_OK : EXIT_FAILED;
}

/** What a send would use: server, port, security and login, or the SES API; and the sender. */
function inEffect(settings: HeraldSettings, transport: Transport): string {
  const email = settings.EmailSettings;
  const from = `from ${printable(email.FeedbackEmail)}`;
  if (transport === "ses-api") return `the SES v2 API (HERALD_TRANSPORT=ses-api), ${from}`;
  const host = email.SMTPServer.includes(":") ? `[${email.SMTPServer}]` : email.SMTPServer;
  const security = email.ConnectionSecurity === "" ? "no TLS" : email.ConnectionSecurity;
  const login = email.EnableSMTPAuth ? `login as ${printable(email.SMTPUsername)}` : "no login";
  return `${printable(host)}:${printable(email.SMTPPort)}, ${security}, ${login}, ${from}`;
}
