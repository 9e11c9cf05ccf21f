import type { SmtpErrorInfo, SmtpStage } from "../smtp/report.ts";
import type { OutgoingMessage } from "./message.ts";

/**
 * What happened to one message. `ok` when at least one recipient accepted it; recipients the
 * server refused are listed in `rejected` (and counted by the caller). On failure, `error`
 * is classified by the one classifier: `error.retryable` decides retry versus dead letter.
 */
export interface SendOutcome {
  ok: boolean;
  /** the provider's id: SES MessageId, or the SMTP server's queue reply */
  providerMessageId?: string;
  /** the Message-ID header Herald generated */
  messageId: string;
  accepted: string[];
  rejected: string[];
  /** where a failed send stopped */
  stage?: SmtpStage;
  error?: SmtpErrorInfo;
  hint?: string;
}

/**
 * The mail transport port: pooled SMTP or the SES v2 API behind one interface. Adapters
 * never throw from `send`; a failure is a classified outcome.
 */
export interface MailTransport {
  readonly kind: "smtp" | "ses-api";
  send(message: OutgoingMessage): Promise<SendOutcome>;
  /** Close pooled connections; the transport is not used afterwards. */
  close(): Promise<void>;
}
