/** A notification's status in words: `herald status`, the status function and the mail page. */
import type { NotificationStatus } from "./record.ts";

/** What plain SMTP cannot say: no delivery events come back from an SMTP server. */
export const SMTP_ONLY_NOTE =
  "sent over plain SMTP: only the send is known (no delivery, bounce or complaint events come back)";

/** One line per recipient, after a heading line; plain text (the caller escapes for a terminal). */
export function statusLines(status: NotificationStatus): string[] {
  const lines = [
    `notification ${status.id}: ${status.outcome ?? "known from SES events only"}` +
      (status.transport ? ` via ${status.transport}` : "") +
      (status.sentAt ? ` at ${status.sentAt}` : "") +
      (status.code
        ? ` (${status.code}: ${status.reason ?? ""})`
        : status.reason
          ? ` (${status.reason})`
          : ""),
  ];
  if (status.providerMessageId) lines.push(`  provider message id ${status.providerMessageId}`);
  for (const r of status.recipients) {
    lines.push(`  ${r.address}: ${r.state}${r.at ? ` at ${r.at}` : ""}${r.reason ? ` (${r.reason})` : ""}`);
  }
  if (status.recipients.length === 0) lines.push("  no recipients known");
  if (!status.eventsExpected) lines.push(`  note: ${SMTP_ONLY_NOTE}`);
  lines.push(`  record expires ${status.expiresAt}`);
  return lines;
}
