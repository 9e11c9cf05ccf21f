import { runSecurityCheck, type SecurityCheckSummary } from "../../operations/security-check.ts";
import { parseSecurityCheckConfig } from "../../security/config.ts";
import { openStateStore } from "../../security/open-store.ts";
import { printable } from "../format.ts";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, printJson, type CliIo } from "../io.ts";
import { loadSettingsOrReport } from "../load-or-usage.ts";
import { openCliRuntime } from "../settings-options.ts";
import { COMMON_OPTIONS, parseCommandArgs, SETTINGS_OPTIONS } from "../options.ts";

export const usage = `Usage: herald security-check [--state FILE] [--feed-url URL] [--product-version V]
                             [--admins LIST] [--config FILE] [--ssm-prefix P] [--json]

Does the security-alert-check Lambda's work once: reads the security bulletin feed and
emails each bulletin for the product version to every administrator who has not had it.
Runs only when EnableSecurityFixAlert and SendEmailNotifications are true.

Options:
      --state FILE         record what was sent in FILE (JSON; steps beside it in FILE.d/)
                           (default: the DynamoDB table $HERALD_TABLE_NAME)
      --feed-url URL       feed base URL (default: $HERALD_SECURITY_FEED_URL, else
                           https://securityupdatecheck.mattermost.com)
      --product-version V  version bulletins are matched against ($HERALD_PRODUCT_VERSION)
      --admins LIST        comma-separated administrator addresses ($HERALD_ADMIN_EMAILS)
  -c, --config FILE        Mattermost-shaped config.json (default: $HERALD_CONFIG_FILE)
      --ssm-prefix P       read SSM parameters under P (default: $HERALD_PARAMETER_PREFIX)
      --json               print the summary as JSON
  -h, --help               show this help

Exit codes: 0 done without errors, 1 some bulletin or administrator failed (the next run
retries it), 2 usage error, bad configuration or unreadable settings.
`;

export async function securityCheckCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...COMMON_OPTIONS,
    ...SETTINGS_OPTIONS,
    state: { type: "string" },
    "feed-url": { type: "string" },
    "product-version": { type: "string" },
    admins: { type: "string" },
  });
  if (values.help) {
    io.stdout(usage);
    return EXIT_OK;
  }
  const runtime = openCliRuntime(io, values, "herald-security-check");
  try {
    const loaded = await loadSettingsOrReport(runtime.settingsSources, io);
    if (!loaded) return EXIT_USAGE;
    const summary = await runSecurityCheck({
      loaded,
      config: parseSecurityCheckConfig(runtime.env, {
        state: values.state,
        feedUrl: values["feed-url"],
        productVersion: values["product-version"],
        admins: values.admins,
      }),
      openStore: (location) => openStateStore(location, runtime.dynamodb),
      openTransport: (settings) => runtime.transport(settings),
      logger: runtime.logger,
    });
    if (values.json) printJson(io, summary);
    else io.stdout(formatSummary(summary));
    if (summary.errors.some((e) => e.stage === "config")) return EXIT_USAGE;
    return summary.errors.length === 0 ? EXIT_OK : EXIT_FAILED;
  } finally {
    await runtime.close();
  }
}

export function formatSummary(summary: SecurityCheckSummary): string {
  if (summary.skippedReason) return `security check skipped: ${printable(summary.skippedReason)}\n`;
  const lines = [
    `security check: ${summary.checked} bulletin(s) listed, ${summary.applicable} for this version, ` +
      `${summary.sent} email(s) sent, ${summary.skipped} already sent or in progress`,
  ];
  if (summary.deferred) {
    lines.push(`${summary.deferred} bulletin(s) left for the next runs (HERALD_SECURITY_MAX_BULLETINS)`);
  }
  if (summary.errors.length > 0) {
    lines.push(`${summary.errors.length} error(s):`);
    for (const error of summary.errors) {
      const where = [error.bulletin && `bulletin ${error.bulletin}`, error.admin].filter(Boolean).join(", ");
      // messages carry what the feed or an SMTP server said: escaped like any server text
      lines.push(`  [${error.stage}]${where ? ` ${printable(where)}:` : ""} ${printable(error.message)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
