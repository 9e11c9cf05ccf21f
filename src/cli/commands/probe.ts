import type { Problem } from "../../settings/problems.ts";
import { probeLogin } from "../../smtp/probe-login.ts";
import type { SmtpReport } from "../../smtp/report.ts";
import { runSmtpSession } from "../../smtp/session.ts";
import { colorsFor, formatProblems, type Colors } from "../format.ts";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, printJson, type CliIo } from "../io.ts";
import { loadSettingsOrReport } from "../load-or-usage.ts";
import { COMMON_OPTIONS, parseCommandArgs, SETTINGS_OPTIONS } from "../options.ts";
import { formatReport } from "../report-format.ts";
import { openCliRuntime } from "../settings-options.ts";

export const usage = `Usage: herald probe [--config FILE] [--ssm-prefix PREFIX] [--no-login] [--json]

Connects to the configured SMTP server as the setup guide's telnet check would: banner,
EHLO extensions, STARTTLS, TLS details, AUTH methods and (when EnableSMTPAuth and both
SMTPUsername and SMTPPassword are set) a login, with the time of each stage. Without
credentials it still connects and says the login was skipped. Sends no mail. Setting values
that could not be used (the default applies instead) are listed as herald validate does.

Options:
  -c, --config FILE      Mattermost-shaped config.json (default: $HERALD_CONFIG_FILE)
      --ssm-prefix P     read SSM parameters under P (default: $HERALD_PARAMETER_PREFIX)
      --no-login         do not log in even when EnableSMTPAuth is true
      --json             print the report as JSON
  -h, --help             show this help

Exit codes: 0 the server answered (and accepted the login), 1 it failed, 2 usage error or unreadable input.
`;

/** The probe's report, with the setting values that could not be used (when there are any). */
export type ProbeReport = SmtpReport & { problems?: Problem[] };

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
  const runtime = openCliRuntime(io, values, "herald-probe");
  const loaded = await loadSettingsOrReport(runtime.settingsSources, io).finally(() => runtime.close());
  if (!loaded) return EXIT_USAGE;
  const { settings, problems } = loaded;
  const plan = probeLogin(settings, values["no-login"] === true);
  const report: ProbeReport = await runSmtpSession({
    settings,
    login: plan.login,
    ...(plan.login ? {} : { loginSkipped: plan.skipped }),
  });
  if (problems.length > 0) report.problems = problems;
  if (values.json) printJson(io, report);
  else
    io.stdout(
      formatProbe(
        report,
        `${settings.EmailSettings.SMTPServer}:${settings.EmailSettings.SMTPPort}`,
        plan.login,
        colorsFor(io),
      ),
    );
  return report.ok ? EXIT_OK : EXIT_FAILED;
}

function formatProbe(report: ProbeReport, server: string, triedLogin: boolean, colors: Colors): string {
  let text = formatReport(report, `${server} answered`, colors);
  if (report.login) text += `  login: skipped, ${report.login.reason}\n`;
  // A probe that tried to log in and ended well got past AUTH: say so, not only by omission.
  else if (report.ok && triedLogin) text += "  login: accepted\n";
  if (report.problems) text += `Settings that could not be used:\n${formatProblems(report.problems, colors)}`;
  return text;
}
