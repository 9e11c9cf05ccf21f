import type { Problem } from "../settings/problems.ts";
import type { SmtpReport } from "../smtp/report.ts";
import { formatProblems, NO_COLORS, printable, type Colors } from "./format.ts";

/**
 * A report as a few readable lines. Every value is escaped: banners, replies and messages
 * are the server's bytes, and must not move the cursor, clear the screen or fake a line.
 */
export function formatReport(
  report: SmtpReport & { warnings?: Problem[] },
  success: string,
  colors: Colors = NO_COLORS,
): string {
  const lines: string[] = [];
  const show = (value: string | number | undefined) => printable(String(value ?? ""));
  if (report.ok) {
    lines.push(
      `${colors.ok("OK")}: ${show(success)}${report.messageId ? ` (Message-ID ${show(report.messageId)})` : ""}`,
    );
  } else {
    const error = report.error;
    const reply = error?.responseCode
      ? ` ${show(error.responseCode)}${error.enhancedStatus ? ` ${show(error.enhancedStatus)}` : ""}`
      : "";
    lines.push(
      `${colors.failed("FAILED")} at ${show(report.stage)}: ${show(error?.code ?? "error")}${reply}${error?.retryable ? " (retryable)" : ""}`,
    );
    if (error?.message) lines.push(`  ${show(error.message)}`);
    if (report.hint) lines.push(`  hint: ${show(report.hint)}`);
  }
  const server = report.server;
  if (server?.banner) lines.push(`  banner: ${show(server.banner)}`);
  if (server?.extensions?.length) lines.push(`  extensions: ${server.extensions.map(show).join(", ")}`);
  if (server?.authMethods?.length) lines.push(`  auth methods: ${server.authMethods.map(show).join(", ")}`);
  if (server?.tls) {
    const tls = server.tls;
    lines.push(
      `  tls: ${show(tls.protocol)} ${show(tls.cipher)}, certificate ${tls.authorized ? "verified" : "NOT verified"}${tls.subject ? `, subject ${show(tls.subject)}` : ""}${tls.issuer ? `, issuer ${show(tls.issuer)}` : ""}${tls.validTo ? `, valid to ${show(tls.validTo)}` : ""}`,
    );
  }
  if (report.timings) {
    lines.push(
      `  timings: ${Object.entries(report.timings)
        .map(([stage, ms]) => `${show(stage)} ${show(ms)} ms`)
        .join(", ")}`,
    );
  }
  const text = `${lines.join("\n")}\n`;
  return report.warnings?.length ? `${text}${formatProblems(report.warnings, colors)}` : text;
}
