import type { SmtpStage } from "./report.ts";

/**
 * Failures Herald raises itself (nodemailer raises the SMTP ones). Each carries the stage it
 * belongs to and a stable code for the report.
 */
export class SmtpConfigError extends Error {
  override name = "SmtpConfigError";
  readonly stage: SmtpStage = "config";
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** The operation ran into the invocation's deadline and was stopped. */
export class DeadlineError extends Error {
  override name = "DeadlineError";
  readonly code = "EDEADLINE";
}

/** The server speaks implicit TLS but the settings asked for a plain or STARTTLS start. */
export class SecurityMismatchError extends Error {
  override name = "SecurityMismatchError";
  readonly code = "ESECURITYMISMATCH";
}
