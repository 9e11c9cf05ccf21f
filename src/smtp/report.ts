/** Where an SMTP operation stopped; "done" on success. */
export type SmtpStage =
  | "config"
  | "connect"
  | "tls"
  | "greeting"
  | "ehlo"
  | "starttls"
  | "auth"
  | "mail"
  | "rcpt"
  | "data"
  | "done";

export interface SmtpErrorInfo {
  code: string;
  responseCode?: number;
  /** RFC 3463 enhanced status, e.g. "5.7.1" */
  enhancedStatus?: string;
  response?: string;
  /** true for network faults, timeouts and 4xx replies; false for 5xx, auth and config */
  retryable: boolean;
  message: string;
}

export interface TlsInfo {
  protocol: string;
  cipher: string;
  authorized: boolean;
  subject?: string;
  issuer?: string;
  validTo?: string;
}

export interface ServerInfo {
  banner?: string;
  extensions?: string[];
  authMethods?: string[];
  tls?: TlsInfo;
}

/** The report of a probe or a send (CLI --json and Lambda results share it). */
export interface SmtpReport {
  ok: boolean;
  stage: SmtpStage;
  error?: SmtpErrorInfo;
  hint?: string;
  server?: ServerInfo;
  /** milliseconds spent in each stage */
  timings?: Partial<Record<SmtpStage, number>>;
  messageId?: string;
  /**
   * Present when the session did not log in and says why: a probe without credentials (or
   * with login turned off) still reports what the server offers.
   */
  login?: LoginSkipped;
}

export interface LoginSkipped {
  attempted: false;
  reason: string;
}
