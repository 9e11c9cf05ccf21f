// The proof that a new SMTP pair works before the old key goes: an SMTP session to the region's
// SES endpoint that logs in (AUTH) and sends nothing, through the project's own session code.
// A new IAM key takes a while to reach SES (IAM's propagation delay), so a refused login is
// tried again until the time given runs out.
import { setTimeout as sleep } from "node:timers/promises";
import { runSmtpSession } from "../smtp/session-on-demand.ts";
import type { SmtpReport } from "../smtp/report.ts";
import { defaultSettings } from "../settings/load.ts";
import type { ConnectionSecurity } from "../settings/model.ts";
import type { SmtpPair } from "./smtp-credentials-store.ts";

/** Where the proof logs in. */
export interface SmtpEndpoint {
  host: string;
  port: number;
  /** never clear text: the proof sends the new password */
  security: Exclude<ConnectionSecurity, "">;
  /** Only for a test server with a self-signed certificate. @default false */
  skipCertificateVerification?: boolean;
}

/** The SES SMTP endpoint of a region, on its implicit-TLS port. */
export function sesSmtpEndpoint(region: string): SmtpEndpoint {
  return { host: `email-smtp.${region}.amazonaws.com`, port: 465, security: "TLS" };
}

export interface ProofOptions {
  endpoint: SmtpEndpoint;
  /** epoch milliseconds by which the proof must be over */
  deadline: number;
  /** pause between attempts. @default 5000 */
  retryDelayMs?: number;
  /** per-stage timeout of each session, in seconds. @default 10 */
  stageTimeoutSeconds?: number;
  now?: () => number;
}

export type ProofResult = { ok: true; attempts: number } | { ok: false; attempts: number; reason: string };

/** One login: the session's report (the password is redacted from it by the session). */
function loginOnce(pair: SmtpPair, options: ProofOptions, deadline: number): Promise<SmtpReport> {
  const settings = defaultSettings();
  const email = settings.EmailSettings;
  email.SMTPServer = options.endpoint.host;
  email.SMTPPort = String(options.endpoint.port);
  email.ConnectionSecurity = options.endpoint.security;
  email.SkipServerCertificateVerification = options.endpoint.skipCertificateVerification ?? false;
  email.EnableSMTPAuth = true;
  email.SMTPUsername = pair.username;
  email.SMTPPassword = pair.password;
  email.SMTPServerTimeout = options.stageTimeoutSeconds ?? 10;
  return runSmtpSession({ settings, login: true, deadline });
}

function reasonOf(report: SmtpReport): string {
  const error = report.error;
  if (!error) return `stopped at stage ${report.stage}`;
  const reply = error.response ?? error.message;
  return `${error.code} at stage ${report.stage}: ${reply}`;
}

/** Logs in with the pair until it works or the deadline comes; never sends a message. */
export async function proveSmtpLogin(pair: SmtpPair, options: ProofOptions): Promise<ProofResult> {
  const now = options.now ?? Date.now;
  const delay = options.retryDelayMs ?? 5000;
  let attempts = 0;
  let reason = "no attempt fitted in the time left";
  while (now() < options.deadline) {
    attempts += 1;
    const report = await loginOnce(pair, options, options.deadline);
    if (report.ok) return { ok: true, attempts };
    // An attempt cut short by the deadline says less than the refusal before it.
    if (report.error?.code !== "EDEADLINE" || attempts === 1) reason = reasonOf(report);
    if (now() + delay >= options.deadline) break;
    await sleep(delay);
  }
  return { ok: false, attempts, reason };
}
