import type { SmtpReport } from "../smtp/report.ts";

/** A report as a few readable lines. */
export function formatReport(report: SmtpReport, success: string): string {
  const lines: string[] = [];
  if (report.ok) {
    lines.push(`OK: ${success}${report.messageId ? ` (Message-ID ${report.messageId})` : ""}`);
  } else {
    const error = report.error;
    const reply = error?.responseCode
      ? ` ${error.responseCode}${error.enhancedStatus ? ` ${error.enhancedStatus}` : ""}`
      : "";
    lines.push(
      `FAILED at ${report.stage}: ${error?.code ?? "error"}${reply}${error?.retryable ? " (retryable)" : ""}`,
    );
    if (error?.message) lines.push(`  ${error.message}`);
    if (report.hint) lines.push(`  hint: ${report.hint}`);
  }
  const server = report.server;
  if (server?.banner) lines.push(`  banner: ${server.banner}`);
  if (server?.extensions?.length) lines.push(`  extensions: ${server.extensions.join(", ")}`);
  if (server?.authMethods?.length) lines.push(`  auth methods: ${server.authMethods.join(", ")}`);
  if (server?.tls) {
    const tls = server.tls;
    lines.push(
      `  tls: ${tls.protocol} ${tls.cipher}, certificate ${tls.authorized ? "verified" : "NOT verified"}${tls.subject ? `, subject ${tls.subject}` : ""}${tls.issuer ? `, issuer ${tls.issuer}` : ""}${tls.validTo ? `, valid to ${tls.validTo}` : ""}`,
    );
  }
  if (report.timings) {
    lines.push(
      `  timings: ${Object.entries(report.timings)
        .map(([stage, ms]) => `${stage} ${ms} ms`)
        .join(", ")}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
