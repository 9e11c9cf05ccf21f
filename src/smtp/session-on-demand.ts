// runSmtpSession, loaded on its first call: the session module brings nodemailer's SMTP client,
// which a handler must not load at a cold start that may never open an SMTP session (a test
// send through the SES API, a credentials event before its login proof). The bundler puts the
// session in a chunk of its own.
import type { SmtpReport } from "./report.ts";
import type { SmtpSessionOptions } from "./session.ts";

/** One SMTP session (./session.ts), its module loaded on first use. */
export async function runSmtpSession(options: SmtpSessionOptions): Promise<SmtpReport> {
  const session = await import("./session.ts");
  return session.runSmtpSession(options);
}
