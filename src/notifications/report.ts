/**
 * The log/metrics step: one log line (and its counts) per record outcome, plus the unknown
 * outcome's own line and metric when a send may or may not have arrived.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { RecordOutcome } from "./outcome.ts";

/** Metric names (EMF, namespace Herald). */
export const METRIC = {
  sent: "Sent",
  duplicate: "Duplicate",
  retryable: "Retryable",
  permanent: "Permanent",
  sendLatency: "SendLatency",
  rejectedRecipients: "RejectedRecipients",
  deferredRecipients: "DeferredRecipients",
  unknownOutcome: "UnknownOutcome",
} as const;

/** Where counts and latencies go: Powertools Metrics (EMF), or nothing in the CLI. */
export interface MetricsSink {
  addMetric(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): unknown;
}

export type ReportLogger = Pick<Logger, "info" | "warn" | "error">;

/** A send whose outcome the server did not tell: counted and logged with the id. */
export function reportUnknown(
  logger: ReportLogger,
  metrics: MetricsSink,
  details: { id: string; why: string; policy: string } & Record<string, unknown>,
): void {
  metrics.addMetric(METRIC.unknownOutcome, MetricUnit.Count, 1);
  logger.warn("the server may or may not have this notification", {
    event: "notification.unknown-outcome",
    ...details,
  });
}

/** Logs and counts one record's outcome; returns it. */
export function reportOutcome(
  logger: ReportLogger,
  metrics: MetricsSink,
  outcome: RecordOutcome,
  sqsMessageId: string,
): RecordOutcome {
  const base = { id: outcome.id, sqsMessageId };
  switch (outcome.kind) {
    case "sent":
      // nobody has it yet when every recipient refused it (some for now, some for good)
      if (outcome.accepted > 0 || outcome.unknown) metrics.addMetric(METRIC.sent, MetricUnit.Count, 1);
      logger.info("notification sent", {
        ...base,
        event: "notification.sent",
        messageId: outcome.messageId,
        providerMessageId: outcome.providerMessageId,
        accepted: outcome.accepted,
        latencyMs: outcome.latencyMs,
      });
      if (outcome.rejected.length > 0) {
        metrics.addMetric(METRIC.rejectedRecipients, MetricUnit.Count, outcome.rejected.length);
        logger.warn("some recipients were refused; the others got the message", {
          ...base,
          event: "notification.recipients-rejected",
          rejectedRecipients: outcome.rejected,
        });
      }
      if (outcome.deferred?.length) {
        metrics.addMetric(METRIC.deferredRecipients, MetricUnit.Count, outcome.deferred.length);
        logger.warn("some recipients refused it for now; they get it on a later receive", {
          ...base,
          event: "notification.recipients-deferred",
          deferredRecipients: outcome.deferred.length,
          reason: outcome.deferredReason,
          deadLetter: outcome.deadLetter,
        });
      }
      if (!outcome.recorded) {
        logger.error("sent, but the idempotency record could not be completed", {
          ...base,
          event: "notification.record-failed",
        });
      }
      break;
    case "duplicate":
      metrics.addMetric(METRIC.duplicate, MetricUnit.Count, 1);
      logger.info("duplicate notification skipped: this id was already sent", {
        ...base,
        event: "notification.duplicate",
        providerMessageId: outcome.providerMessageId,
      });
      break;
    case "disabled":
      logger.info("SendEmailNotifications is false: notification acknowledged, not sent", {
        ...base,
        event: "notification.disabled",
      });
      break;
    case "retryable":
      metrics.addMetric(METRIC.retryable, MetricUnit.Count, 1);
      logger.warn("notification not sent; it will be retried", {
        ...base,
        event: "notification.retryable",
        code: outcome.code,
        responseCode: outcome.responseCode,
        stage: outcome.stage,
        reason: outcome.reason,
        hint: outcome.hint,
        unknown: outcome.unknown,
      });
      break;
    case "permanent":
      metrics.addMetric(METRIC.permanent, MetricUnit.Count, 1);
      logger.error("notification failed permanently", {
        ...base,
        event: "notification.permanent",
        code: outcome.code,
        responseCode: outcome.responseCode,
        stage: outcome.stage,
        reason: outcome.reason,
        hint: outcome.hint,
        deadLetter: outcome.deadLetter,
      });
      break;
  }
  return outcome;
}
