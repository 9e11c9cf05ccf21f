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

/** How one send is bounded. */
export interface SendOptions {
  /**
   * Epoch ms by which the send must be over (a Lambda's end, less a margin): a send still
   * running then is stopped with a retryable EDEADLINE, rather than the function being killed
   * after the server may have taken the message. @default the adapter's own bound only
   */
  deadline?: number;
}

/**
 * The mail transport port: pooled SMTP or the SES v2 API behind one interface. Adapters
 * never throw from `send`; a failure is a classified outcome.
 */
export interface MailTransport {
  readonly kind: "smtp" | "ses-api";
  send(message: OutgoingMessage, options?: SendOptions): Promise<SendOutcome>;
  /** Close pooled connections; the transport is not used afterwards. */
  close(): Promise<void>;
}

/** Milliseconds until a send's deadline (Infinity without one, 0 once it has passed). */
export function remainingMs(deadline: number | undefined): number {
  return deadline === undefined ? Number.POSITIVE_INFINITY : Math.max(deadline - Date.now(), 0);
}
