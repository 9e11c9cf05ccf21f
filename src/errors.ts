// The one base of every error Herald raises itself, and the one way to put any error into
// words. A leaf module (no imports), so every folder and the CDK app (lib/) may use it.

export interface HeraldErrorOptions extends ErrorOptions {
  /** what to do about it: the report's or the log line's hint */
  hint?: string;
}

/**
 * A failure Herald raises itself: a stable `code` for reports, logs and tests (nothing
 * compares names or messages), a `hint` where Herald knows the fix, and the underlying
 * error as `cause`. Every family (SMTP stages, security feed, SMTP credentials, deployment
 * values, CLI usage, ...) extends this class.
 */
export abstract class HeraldError extends Error {
  abstract readonly code: string;
  readonly hint?: string;
  constructor(message?: string, options: HeraldErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.hint !== undefined) this.hint = options.hint;
  }
}

/**
 * An error of any kind in one line: "EFEEDTIMEOUT: GET /feed timed out after 10 s" (its code),
 * "AccessDeniedException: not authorized" (its name), or the bare message of a plain Error.
 * Only the message and the code or name: never the cause or other fields, which may hold
 * settings.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const label = typeof code === "string" && code !== "" ? code : error.name === "Error" ? "" : error.name;
  // Node's own errors already begin with their code ("EACCES: permission denied, open ...")
  return label === "" || error.message.startsWith(label) ? error.message : `${label}: ${error.message}`;
}

/** The error's class name ("NoSuchEntityException"): for calls whose message may hold a secret. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "Error";
}
