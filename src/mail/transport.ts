import type { SmtpErrorInfo, SmtpStage } from "../smtp/report.ts";
import type { ComposedMessage, OutgoingMessage } from "./message.ts";

/**
 * What happened to one message. `ok` when at least one recipient accepted it; recipients the
 * server refused for good (5xx) are listed in `rejected`, those it refused for now (4xx) in
 * `deferred` (the caller sends to them again later). On failure, `error` is classified by the
 * one classifier: `error.retryable` decides retry versus dead letter, unless `unknown`. When
 * every recipient was refused, some for now and some for good, the failure lists both too:
 * the caller settles the `rejected` ones and sends to the `deferred` ones again.
 */
export interface SendOutcome {
  ok: boolean;
  /**
   * The server may have taken the message but did not say so: the connection was lost or
   * timed out after the final dot, or the SES API failed (5xx, timeout) after the request
   * left. Only with `ok: false`.
   */
  unknown?: boolean;
  /** recipients refused with a temporary (4xx) reply while others accepted the message */
  deferred?: string[];
  /** the server's reply to the first deferred recipient */
  deferredReason?: string;
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
   * Epoch ms after which a send that has not yet transmitted its message is stopped with a
   * retryable EDEADLINE. Once the message is transmitted it is never stopped: its reply is
   * awaited within the stage's own timeout (callers start a send only when `sendBoundMs`
   * fits in their time). @default the adapter's own bound only
   */
  deadline?: number;
}

/**
 * The mail transport port: pooled SMTP or the SES v2 API behind one interface. Adapters
 * never throw from `send`; a failure is a classified outcome.
 */
export interface MailTransport {
  readonly kind: "smtp" | "ses-api";
  /**
   * The longest one send can take, every stage included (connection setup, envelope, data
   * and the reply to it): a caller starts a send only when this much time is left.
   */
  readonly sendBoundMs: number;
  send(message: OutgoingMessage, options?: SendOptions): Promise<SendOutcome>;
  /**
   * Send a message from its parts, without MIME rendered by Herald (the SES API's Simple
   * content; ses-content.ts says which messages qualify). Absent: every message is rendered
   * (renderMime) and given to `send`.
   */
  sendComposed?(message: ComposedMessage, options?: SendOptions): Promise<SendOutcome>;
  /**
   * Let the sends under way finish (a send that starts meanwhile too), then close pooled
   * connections: once it resolves no connection of this transport is open.
   */
  close(): Promise<void>;
}

/** Milliseconds until a send's deadline (Infinity without one, 0 once it has passed). */
export function remainingMs(deadline: number | undefined): number {
  return deadline === undefined ? Number.POSITIVE_INFINITY : Math.max(deadline - Date.now(), 0);
}

/** How long one SES API send may take by default (the request's whole timeout). */
export const SES_SEND_TIMEOUT_MS = 10_000;
