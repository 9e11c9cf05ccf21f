import type { EventProblem } from "./parse.ts";

/**
 * What happened to one record: exactly one of these.
 * - sent: the transport accepted it for at least one recipient (recorded, never resent);
 * - duplicate: its id was already sent: skipped;
 * - disabled: SendEmailNotifications is false: acknowledged, nothing sent;
 * - retryable: left for SQS to deliver again (network, timeout, 4xx, throttling, or the
 *   same id in progress elsewhere); its idempotency record is released;
 * - permanent: it can never succeed as it is (invalid event, 5xx, rejected address): put on
 *   the dead-letter queue and acknowledged.
 */
export type RecordOutcome = Sent | Duplicate | Disabled | Retryable | Permanent;

export interface Sent {
  kind: "sent";
  id: string;
  messageId: string;
  providerMessageId?: string;
  accepted: number;
  /** recipients the server refused while others accepted the message */
  rejected: string[];
  latencyMs: number;
  /** false when the send succeeded but its idempotency record could not be completed */
  recorded: boolean;
}

export interface Duplicate {
  kind: "duplicate";
  id: string;
  providerMessageId?: string;
}

export interface Disabled {
  kind: "disabled";
  id: string;
}

export interface Failure {
  id?: string;
  /** EINPROGRESS, EDEADLINE, EEVENT, EMESSAGESIZE, or the transport's code (ETIMEDOUT, EENVELOPE, ...) */
  code: string;
  reason: string;
  responseCode?: number;
  stage?: string;
  hint?: string;
}

export interface Retryable extends Failure {
  kind: "retryable";
}

export interface Permanent extends Failure {
  kind: "permanent";
  /** the event's problems when it was invalid */
  problems?: EventProblem[];
  /** "sent": on the dead-letter queue; "failed": the queue refused it; "none": no queue configured */
  deadLetter: "sent" | "failed" | "none";
}

/**
 * Whether SQS must deliver the record again: retryable failures, and permanent ones that are
 * not safely on the dead-letter queue (nothing is lost; the queue's redrive policy still applies).
 */
export function needsRedelivery(outcome: RecordOutcome): boolean {
  return outcome.kind === "retryable" || (outcome.kind === "permanent" && outcome.deadLetter !== "sent");
}

/** The `herald send` summary (also logged by the Lambda per batch). */
export interface SendSummary {
  events: number;
  sent: number;
  duplicates: number;
  retryable: number;
  permanent: number;
  /** acknowledged without sending: SendEmailNotifications is false */
  disabled: number;
  /** recipients refused while others accepted their message */
  rejectedRecipients: number;
  seconds: number;
}

export function summarize(outcomes: readonly RecordOutcome[], seconds: number): SendSummary {
  const summary: SendSummary = {
    events: outcomes.length,
    sent: 0,
    duplicates: 0,
    retryable: 0,
    permanent: 0,
    disabled: 0,
    rejectedRecipients: 0,
    seconds: Math.round(seconds * 1000) / 1000,
  };
  for (const outcome of outcomes) {
    switch (outcome.kind) {
      case "sent":
        summary.sent += 1;
        summary.rejectedRecipients += outcome.rejected.length;
        break;
      case "duplicate":
        summary.duplicates += 1;
        break;
      case "disabled":
        summary.disabled += 1;
        break;
      case "retryable":
        summary.retryable += 1;
        break;
      case "permanent":
        summary.permanent += 1;
        break;
    }
  }
  return summary;
}
