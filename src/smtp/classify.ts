import { StagedError } from "./errors.ts";
import { COMMAND_STAGES } from "./command-stages.ts";
import type { SmtpErrorInfo, SmtpStage } from "./report.ts";

/** The fields of a nodemailer error (and of Herald's own) that classification reads. */
export interface SmtpErrorLike {
  name?: string;
  message?: string;
  code?: string;
  /** nodemailer keeps the system or TLS code here when it sets its own (ECONNREFUSED, ...) */
  originalCode?: string;
  responseCode?: number;
  response?: string;
  /** the SMTP command that failed: "CONN", "EHLO", "STARTTLS", "AUTH PLAIN", "MAIL FROM", "RCPT TO", "DATA", "API" */
  command?: string;
  /** Herald's config errors carry their own hint */
  hint?: string;
}

export interface Classification {
  stage: SmtpStage;
  error: SmtpErrorInfo;
  hint?: string;
}

const HINTS = {
  auth: "Wrong credentials. For Amazon SES the username is the SMTP access key id (not the IAM user name) and the password is region-specific (derive it with herald ses-smtp-password --region for the endpoint's region); new keys can take a few minutes to work.",
  mustStartTls: 'The server requires encryption before MAIL: set ConnectionSecurity to "STARTTLS".',
  wrongTlsMode:
    'ConnectionSecurity does not match the port: "TLS" (implicit TLS) is for ports 465/2465, "STARTTLS" for 587/25/2587.',
  noStartTls:
    "The server did not accept STARTTLS on this port, and Herald never falls back to clear text: use the server's submission port (587) with STARTTLS, or 465 with TLS.",
  relay:
    "The server refuses to relay for this client's IP address: allow it on the server (e.g. Postfix mynetworks) or use authenticated submission (EnableSMTPAuth with a username and password).",
  sesUnverified:
    "Amazon SES rejected the address: the account is in the SES sandbox (recipients must be verified too) or the sender identity is not verified. Verify the domain or request production access.",
  throttled:
    "Sending rate exceeded; the message is retried automatically. Raise the SES sending quota if this persists.",
  noRecipient: "The recipient address does not exist: check it for typos.",
  tooBig: "The server refused the message for its size or the mailbox is full.",
  temporary: "A temporary failure (the server is busy, greylisting or closing): retried automatically.",
  certificate:
    "The server certificate could not be verified: fix the certificate or its CA (the name must match SMTPServer); set SkipServerCertificateVerification only as a last resort.",
  network:
    "Could not reach the server: check SMTPServer and SMTPPort, firewalls and security groups; port 25 is blocked from Lambda; a Lambda in a VPC needs a NAT gateway or endpoint to reach the internet.",
  timeout:
    "The server did not answer within SMTPServerTimeout: check SMTPServer and SMTPPort, firewalls and security groups (port 25 is blocked from Lambda; a Lambda in a VPC needs a NAT gateway), and that ConnectionSecurity matches the port.",
  protocol:
    "The server's answer was not SMTP (no 220 greeting or an unexpected reply): check that SMTPServer and SMTPPort point at an SMTP server (not an HTTP, IMAP or POP3 port), and that ConnectionSecurity matches the port.",
  deadline:
    "The operation was stopped before the Lambda invocation timed out: raise the function's timeout or lower SMTPServerTimeout.",
} as const;

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNECTION",
  "ESOCKET",
  "ETIMEDOUT",
  "EDNS",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EDEADLINE",
]);

const CERTIFICATE_CODE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_CERT_ALTNAME/;
const WRONG_TLS_MODE = /wrong version number|packet length too long|unknown protocol|ESECURITYMISMATCH/i;

function enhancedStatusOf(response: string | undefined): string | undefined {
  return response ? /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(response)?.[1] : undefined;
}

/** The most specific code: the system or TLS code nodemailer kept, else its own. */
function specificCode(error: SmtpErrorLike): string {
  const original = error.originalCode;
  if (
    original &&
    (/^E[A-Z_]+$/.test(original) || CERTIFICATE_CODE.test(original) || original.startsWith("ERR_SSL"))
  ) {
    return original;
  }
  return error.code ?? error.name ?? "EUNKNOWN";
}

function stageOf(error: SmtpErrorLike, code: string, stageAtFailure: SmtpStage): SmtpStage {
  if (error instanceof StagedError) return error.stage;
  const command = error.command ?? "";
  // nodemailer rejects a greeting that is not "220" after the tracker has seen the line.
  if (code === "EPROTOCOL" && command === "CONN") return "greeting";
  for (const [pattern, stage] of COMMAND_STAGES) if (pattern.test(command)) return stage;
  if (code === "EAUTH") return "auth";
  const tlsFailure = CERTIFICATE_CODE.test(code) || code.startsWith("ERR_SSL") || code === "ETLS";
  if (tlsFailure && stageAtFailure !== "starttls") return "tls";
  return stageAtFailure;
}

function hintFor(
  error: SmtpErrorLike,
  code: string,
  stage: SmtpStage,
  responseCode?: number,
): string | undefined {
  const text = `${error.response ?? ""} ${error.message ?? ""}`;
  const enhanced = enhancedStatusOf(error.response);
  if (error.hint) return error.hint;
  if (code === "EDEADLINE") return HINTS.deadline;
  if (WRONG_TLS_MODE.test(text) || WRONG_TLS_MODE.test(code) || code === "ERR_SSL_WRONG_VERSION_NUMBER")
    return HINTS.wrongTlsMode;
  if (CERTIFICATE_CODE.test(code)) return HINTS.certificate;
  if (responseCode === 535 || enhanced === "5.7.8" || code === "EAUTH") return HINTS.auth;
  if (responseCode === 530 && /STARTTLS/i.test(text)) return HINTS.mustStartTls;
  if (stage === "starttls" || /does not support required STARTTLS/i.test(text)) return HINTS.noStartTls;
  if (/throttl|rate exceeded/i.test(text) || responseCode === 429) return HINTS.throttled;
  if (/not verified/i.test(text)) return HINTS.sesUnverified;
  if (/client host rejected|access denied|relay(ing)? (access )?denied|not permitted to relay/i.test(text))
    return HINTS.relay;
  if (enhanced === "5.1.1" || /user unknown|does not exist|no such user/i.test(text))
    return HINTS.noRecipient;
  if (responseCode === 552 || enhanced === "5.3.4" || enhanced === "5.2.2") return HINTS.tooBig;
  if (responseCode !== undefined && responseCode >= 400 && responseCode < 500) return HINTS.temporary;
  if (code === "ETIMEDOUT") return HINTS.timeout;
  if (code === "EPROTOCOL") return HINTS.protocol;
  if (NETWORK_CODES.has(code)) return HINTS.network;
  return undefined;
}

function isRetryable(error: SmtpErrorLike, code: string, stage: SmtpStage, responseCode?: number): boolean {
  if (stage === "config" || code === "EAUTH" || code === "ESECURITYMISMATCH") return false;
  if (responseCode !== undefined) return responseCode >= 400 && responseCode < 500;
  if (CERTIFICATE_CODE.test(code) || code.startsWith("ERR_SSL") || WRONG_TLS_MODE.test(error.message ?? ""))
    return false;
  return NETWORK_CODES.has(code);
}

/**
 * Classify a failed SMTP operation: where it stopped, a stable code, the SMTP reply, whether
 * a retry can help, and what to do about it. Pure; never throws.
 */
export function classifySmtpError(error: unknown, stageAtFailure: SmtpStage): Classification {
  const e: SmtpErrorLike =
    typeof error === "object" && error !== null ? (error as SmtpErrorLike) : { message: String(error) };
  const code = specificCode(e);
  const responseCode =
    typeof e.responseCode === "number" && e.responseCode > 0
      ? e.responseCode
      : Number(/^(\d{3})[ -]/.exec(e.response ?? "")?.[1]) || undefined;
  const stage = stageOf(e, code, stageAtFailure);
  const info: SmtpErrorInfo = {
    code,
    retryable: isRetryable(e, code, stage, responseCode),
    message: e.message ?? String(error),
  };
  if (responseCode !== undefined) info.responseCode = responseCode;
  const enhancedStatus = enhancedStatusOf(e.response);
  if (enhancedStatus) info.enhancedStatus = enhancedStatus;
  if (e.response) info.response = e.response;
  const hint = hintFor(e, code, stage, responseCode);
  return hint ? { stage, error: info, hint } : { stage, error: info };
}
