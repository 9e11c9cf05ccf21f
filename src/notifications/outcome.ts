import type { EventProblem } from "./parse.ts";

/**
 * What happened to one record: exactly one of these.
 * - sent: every recipient of this round accepted it or refused it for good (recorded, never
 *   resent to them); with `deferred`, some refused it for now: the record is delivered again
 *   and sent to those only, until they settle or the last receive dead-letters them; with
 *   `unknown` (the at-most-once policy), it was completed without knowing whether it arrived;
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
  /** recipients refused for now (4xx): sent to again on a later receive */
  deferred?: string[];
  /** the server's reply to the deferred recipients */
  deferredReason?: string;
  /** on the last receive, the deferred recipients went to the dead-letter queue (or not) */
  deadLetter?: "sent" | "failed" | "none";
  /** completed without knowing whether the server took it (at-most-once policy) */
  unknown?: boolean;
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
  /** the server may have taken it: a second copy is possible (at-least-once policy) */
  unknown?: boolean;
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
  if (outcome.kind === "sent") return (outcome.deferred?.length ?? 0) > 0 && outcome.deadLetter !== "sent";
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
  /** recipients refused for now (4xx) while others accepted: sent to on a later receive */
  deferredRecipients: number;
  /** sends whose outcome is unknown (the server may or may not have the message) */
  unknown: number;
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
    deferredRecipients: 0,
    unknown: 0,
    seconds: Math.round(seconds * 1000) / 1000,
  };
  for (const outcome of outcomes) {
    switch (outcome.kind) {
      case "sent":
        summary.sent += 1;
        summary.rejectedRecipients += outcome.rejected.length;
        summary.deferredRecipients += outcome.deferred?.length ?? 0;
        if (outcome.unknown) summary.unknown += 1;
        break;
      case "duplicate":
        summary.duplicates += 1;
        break;
      case "disabled":
        summary.disabled += 1;
        break;
      case "retryable":
        summary.retryable += 1;
        if (outcome.unknown) summary.unknown += 1;
        break;
      case "permanent":
        summary.permanent += 1;
        break;
    }
  }
  return summary;
}
