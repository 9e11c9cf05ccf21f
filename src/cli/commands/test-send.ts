import { recipientProblem, testSend } from "../../operations/test-send.ts";
import { colorsFor } from "../format.ts";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, printJson, UsageError, type CliIo } from "../io.ts";
import { loadSettingsOrReport } from "../load-or-usage.ts";
import { COMMON_OPTIONS, parseCommandArgs, SETTINGS_OPTIONS } from "../options.ts";
import { formatReport } from "../report-format.ts";
import { openCliRuntime } from "../settings-options.ts";

export const usage = `Usage: herald test-send [--to ADDRESS] [--config FILE] [--ssm-prefix PREFIX] [--json]

Does the test-send Lambda's work ("Test Connection"): sends "[SiteName] Testing Email
Settings" to ADDRESS (without --to, to EmailSettings.FeedbackEmail) with the configured
settings and prints the SMTP report.

Options:
      --to ADDRESS       recipient (default: EmailSettings.FeedbackEmail)
  -c, --config FILE      Mattermost-shaped config.json (default: $HERALD_CONFIG_FILE)
      --ssm-prefix P     read SSM parameters under P (default: $HERALD_PARAMETER_PREFIX)
      --json             print the report as JSON
  -h, --help             show this help

Exit codes: 0 sent, 1 failed, 2 usage error (such as an empty or invalid --to) or unreadable input.
`;

export async function testSendCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...COMMON_OPTIONS,
    ...SETTINGS_OPTIONS,
    to: { type: "string" },
  });
  if (values.help) {
    io.stdout(usage);
    return EXIT_OK;
  }
  // A bad --to is a mistake in the call, like a missing one: usage, exit 2.
  const toProblem = values.to === undefined ? undefined : recipientProblem(values.to);
  if (toProblem) throw new UsageError(`--to: ${toProblem}; pass a plain address such as you@example.com`);
  const runtime = openCliRuntime(io, values, "herald-test-send");
  const sources = runtime.settingsSources;
  const report = await (async () => {
    const saved = await loadSettingsOrReport(sources, io);
    // As the Lambda does: with the SES API there are no SMTP settings, the email goes that way.
    const apiTransport = runtime.config.transport === "ses-api" ? { apiTransport: runtime.transport } : {};
    return saved && testSend({ to: values.to }, { sources, saved, ...apiTransport });
  })().finally(() => runtime.close());
  if (!report) return EXIT_USAGE;
  if (values.json) printJson(io, report);
  else io.stdout(formatReport(report, "test email accepted by the server", colorsFor(io)));
  return report.ok ? EXIT_OK : EXIT_FAILED;
}
