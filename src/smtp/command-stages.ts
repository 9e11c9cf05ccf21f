import type { SmtpStage } from "./report.ts";

/** Which stage an SMTP command the client sent belongs to (nodemailer's "client" log lines, or a failed command's name). */
export const COMMAND_STAGES: ReadonlyArray<readonly [RegExp, SmtpStage]> = [
  [/^AUTH\b/i, "auth"],
  [/^MAIL\b/i, "mail"],
  [/^RCPT\b/i, "rcpt"],
  [/^DATA\b/i, "data"],
  [/^STARTTLS\b/i, "starttls"],
  [/^(EHLO|HELO|LHLO)\b/i, "ehlo"],
];
