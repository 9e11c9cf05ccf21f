import { runSmtpSession } from "../../smtp/session.ts";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, printJson, type CliIo } from "../io.ts";
import { loadSettingsOrReport } from "../load-or-usage.ts";
import { COMMON_OPTIONS, parseCommandArgs, SETTINGS_OPTIONS } from "../options.ts";
import { formatReport } from "../report-format.ts";
import { settingsSourceOptions } from "../settings-options.ts";

export const usage = `Usage: herald probe [--config FILE] [--ssm-prefix PREFIX] [--no-login] [--json]

Connects to the configured SMTP server as the setup guide's telnet check would: banner,
EHLO extensions, STARTTLS, TLS details, AUTH methods and (when EnableSMTPAuth) a login,
with the time of each stage. Sends no mail.

Options:
  -c, --config FILE      Mattermost-shaped config.json (default: $HERALD_CONFIG_FILE)
      --ssm-prefix P     read SSM parameters under P (default: $HERALD_PARAMETER_PREFIX)
      --no-login         do not log in even when EnableSMTPAuth is true
      --json             print the report as JSON
  -h, --help             show this help

Exit codes: 0 the server answered (and accepted the login), 1 it failed, 2 usage error or unreadable input.
`;

export async function probeCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...COMMON_OPTIONS,
    ...SETTINGS_OPTIONS,
    "no-login": { type: "boolean" },
  });
  if (values.help) {
    io.stdout(usage);
    return EXIT_OK;
  }
  const loaded = await loadSettingsOrReport(settingsSourceOptions(values, io.env), io);
  if (!loaded) return EXIT_USAGE;
  const login = values["no-login"] ? false : loaded.settings.EmailSettings.EnableSMTPAuth;
  const report = await runSmtpSession({ settings: loaded.settings, login });
  if (values.json) printJson(io, report);
  else
    io.stdout(
      formatReport(
        report,
        `${loaded.settings.EmailSettings.SMTPServer}:${loaded.settings.EmailSettings.SMTPPort} answered`,
      ),
    );
  return report.ok ? EXIT_OK : EXIT_FAILED;
}
