/**
 * The pipeline's side of the status record: after each outcome, what it knows (transport,
 * provider message id, recipients and which accepted; or the failure). A record that cannot
 * be written is logged, never the notification's failure. Also times the way to SES:
 * from the event's arrival (its EventBridge `time`) to the transport accepting it.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { STATUS_METRIC_NAMES } from "../constants.ts";
import { describeError } from "../errors.ts";
import type { RecipientUpdate } from "../status/record.ts";
import type { PipelineAttempt, StatusStore } from "../status/store.ts";
import type { RecordOutcome } from "./outcome.ts";
import type { StatusRecorder } from "./process.ts";
import type { MetricsSink } from "./report.ts";
import type { Notification } from "./schema.ts";

export type { StatusRecorder } from "./process.ts";

export interface StatusRecorderDeps {
  store: StatusStore;
  /** ses-api, ses-smtp or smtp */
  transport: string;
  logger: Pick<Logger, "warn">;
  metrics: MetricsSink;
  /** @default Date.now */
  now?: () => number;
}

/** The EventBridge envelope's `time`, when the record carried one. */
function arrivalTime(body: string): number | undefined {
  try {
    const time = (JSON.parse(body) as { time?: unknown }).time;
    const parsed = typeof time === "string" ? Date.parse(time) : Number.NaN;
    return Number.isNaN(parsed) ? undefined : parsed;
  } catch {
    return undefined;
  }
}

function recipientsOf(notification: Notification | undefined): string[] {
  if (!notification) return [];
  return [...notification.to, ...(notification.cc ?? []), ...(notification.bcc ?? [])];
}

function attemptOf(
  outcome: RecordOutcome,
  notification: Notification | undefined,
  transport: string,
  at: number,
): PipelineAttempt | undefined {
  const recipients = recipientsOf(notification);
  const base = { id: outcome.id!, transport, at, recipients };
  const each = (addresses: string[], update: Omit<RecipientUpdate, "address">) =>
    addresses.map((address) => ({ address, ...update }));
  switch (outcome.kind) {
    case "duplicate":
      return undefined; // the first send's record stands
    case "disabled":
      return { ...base, outcome: "disabled", reason: "SendEmailNotifications is false: not sent" };
    case "sent": {
      const refused = new Set(outcome.rejected.map((address) => address.toLowerCase()));
      return {
        ...base,
        outcome: "sent",
        messageId: outcome.messageId,
        ...(outcome.providerMessageId !== undefined ? { providerMessageId: outcome.providerMessageId } : {}),
        updates: [
          ...each(
            recipients.filter((address) => !refused.has(address.toLowerCase())),
            { state: "sent", at, source: "pipeline" },
          ),
          ...each(outcome.rejected, {
            state: "rejected",
            at,
            source: "pipeline",
            reason: "refused by the server when sent",
          }),
        ],
      };
    }
    case "retryable":
      return { ...base, outcome: "retryable", code: outcome.code, reason: outcome.reason };
    case "permanent":
      return {
        ...base,
        outcome: "permanent",
        code: outcome.code,
        reason: outcome.reason,
        updates: each(recipients, {
          state: "rejected",
          at,
          source: "pipeline",
          reason: `${outcome.code}: ${outcome.reason}`,
        }),
      };
  }
}

export function createStatusRecorder(deps: StatusRecorderDeps): StatusRecorder {
  const now = deps.now ?? Date.now;
  return {
    async record(outcome, record, notification) {
      if (outcome.id === undefined) return; // an invalid event without an id: nothing to key it by
      const at = now();
      const attempt = attemptOf(outcome, notification, deps.transport, at);
      if (!attempt) return;
      if (outcome.kind === "sent") {
        const arrived = arrivalTime(record.body);
        if (arrived !== undefined && at >= arrived) {
          deps.metrics.addMetric(STATUS_METRIC_NAMES.timeToAccept, MetricUnit.Milliseconds, at - arrived);
        }
      }
      try {
        await deps.store.recordAttempt(attempt);
      } catch (error) {
        deps.logger.warn("the status record could not be written; the notification's outcome stands", {
          event: "notification.status-failed",
          id: outcome.id,
          outcome: outcome.kind,
          error: describeError(error),
        });
      }
    },
  };
}
