import { HeraldError, type HeraldErrorOptions } from "../errors.ts";
import type { Problem } from "../settings/problems.ts";
import type { SmtpStage } from "./report.ts";

/**
 * A failure Herald raises itself in an SMTP session or before one (nodemailer raises the SMTP
 * ones): besides the code and hint of every HeraldError, the stage it belongs to. The
 * classifier reads these fields; nothing compares names.
 */
export abstract class StagedError extends HeraldError {
  abstract readonly stage: SmtpStage;
}

/**
 * The settings stop a session before any connection: the validation rules that block it
 * (settings/validate.ts). The code is the first rule's (EHOST, EPORT, ECLEARTEXTAUTH, ...).
 */
export class SettingsRefusedError extends StagedError {
  override name = "SettingsRefusedError";
  readonly stage = "config";
  readonly code: string;
  readonly problems: readonly Problem[];
  constructor(problems: readonly Problem[]) {
    super(problems.map((p) => `${p.setting}: ${p.message}`).join("; "), {
      hint: sentence([...new Set(problems.map((p) => p.fix))].join("; ")),
    });
    this.code = problems[0]?.code ?? "EINVALIDSETTINGS";
    this.problems = problems;
  }
}

/** Unsaved settings would send the saved password somewhere it was not saved for. */
export class PasswordRequiredError extends StagedError {
  override name = "PasswordRequiredError";
  readonly stage = "config";
  readonly code = "EPASSWORDREQUIRED";
  constructor(changed: readonly string[]) {
    super(
      `the unsaved settings change ${changed.join(", ")} but give no SMTPPassword: the saved password is only sent to the server, and with the security, it was saved for`,
      { hint: "Re-enter the SMTP password (EmailSettings.SMTPPassword) along with the changed settings." },
    );
  }
}

/** The request itself is wrong (an event field, a recipient): not a settings problem. */
export class BadRequestError extends StagedError {
  override name = "BadRequestError";
  readonly stage = "config";
  readonly code: "EEVENT" | "ERECIPIENT";
  constructor(code: "EEVENT" | "ERECIPIENT", message: string, hint: string) {
    super(message, { hint });
    this.code = code;
  }
}

/**
 * An event's content cannot be rendered (html-to-text overflows its stack on markup nested
 * thousands deep, ...): the same content fails the same way on every retry.
 */
export class ContentRenderError extends StagedError {
  override name = "ContentRenderError";
  readonly stage = "config";
  readonly code = "ERENDER";
  /** the event field whose content failed: "html", or "event" when the renderer does not say */
  readonly field: string;
  constructor(field: string, reason: string, options: HeraldErrorOptions & { hint: string }) {
    super(`${field}: ${reason}`, options);
    this.field = field;
  }
}

/** The operation ran into the invocation's deadline and was stopped. */
export class DeadlineError extends StagedError {
  override name = "DeadlineError";
  readonly code = "EDEADLINE";
  readonly stage: SmtpStage;
  constructor(message: string, stage: SmtpStage) {
    super(message);
    this.stage = stage;
  }
}

/** A stage or command took longer than SMTPServerTimeout from its start. */
export class StageTimeoutError extends StagedError {
  override name = "StageTimeoutError";
  /** the code nodemailer uses for its own timeouts: classified as retryable, with the timeout hint */
  readonly code = "ETIMEDOUT";
  readonly stage: SmtpStage;
  constructor(stage: SmtpStage, timeoutMs: number) {
    super(`no answer within SMTPServerTimeout (${timeoutMs / 1000} s) at stage ${stage}`);
    this.stage = stage;
  }
}

/** The server speaks implicit TLS but the settings asked for a plain or STARTTLS start. */
export class SecurityMismatchError extends StagedError {
  override name = "SecurityMismatchError";
  readonly code = "ESECURITYMISMATCH";
  readonly stage: SmtpStage;
  constructor(message: string, stage: SmtpStage) {
    super(message);
    this.stage = stage;
  }
}

/** The server closed the connection without an error that explains it. */
export class ConnectionClosedError extends StagedError {
  override name = "ConnectionClosedError";
  readonly code = "ECONNECTION";
  readonly stage: SmtpStage;
  constructor(stage: SmtpStage) {
    super("Connection closed unexpectedly");
    this.stage = stage;
  }
}

function sentence(text: string): string {
  return text === "" ? text : `${text[0]!.toUpperCase()}${text.slice(1)}.`;
}
