// SES feedback (bounce, complaint, delivery, reject, delivery delay) for Herald's configuration
// set: logged, counted, and published as NotificationFeedback events so that applications can
// react (stop mailing an address, mark a notification undelivered). SES's suppression list
// already stops later sends to hard-bounced and complaining addresses.
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import {
  PutEventsCommand,
  type EventBridgeClient,
  type PutEventsRequestEntry,
} from "@aws-sdk/client-eventbridge";
import { EVENT_SOURCE, FEEDBACK_DETAIL_TYPE, FEEDBACK_METRIC_NAMES } from "../constants.ts";
import {
  feedbackFromSesEvent,
  feedbackType,
  sesEventSchema,
  type NotificationFeedback,
} from "../ses/feedback-event.ts";

/** PutEvents takes at most 10 entries per call. */
const PUT_EVENTS_BATCH = 10;

export interface SesFeedbackDeps {
  eventBridge: EventBridgeClient;
  /** where NotificationFeedback events go; absent: the account's default bus */
  eventBusName?: string;
  logger: Pick<Logger, "info" | "warn">;
  metrics: Pick<Metrics, "addMetric">;
}

export interface SesFeedbackSummary {
  /** SES's eventType, e.g. "Bounce" */
  eventType?: string;
  recipients: number;
  published: number;
  /** why nothing was done, for events Herald does not handle */
  ignored?: string;
}

/** Some NotificationFeedback events could not be published; the invocation is retried. */
export class FeedbackPublishError extends Error {
  override name = "FeedbackPublishError";
  readonly code = "EPUBLISH";
  readonly hint = "check events:PutEvents on the bus for the feedback function; the event is retried";
}

/** An EventBridge event from SES carries the record in `detail`; SNS or a test passes it bare. */
function sesRecord(event: unknown): unknown {
  if (event && typeof event === "object" && "detail" in event) return (event as { detail: unknown }).detail;
  return event;
}

async function publish(feedback: NotificationFeedback[], deps: SesFeedbackDeps): Promise<number> {
  let published = 0;
  for (let i = 0; i < feedback.length; i += PUT_EVENTS_BATCH) {
    const entries: PutEventsRequestEntry[] = feedback.slice(i, i + PUT_EVENTS_BATCH).map((detail) => ({
      Source: EVENT_SOURCE,
      DetailType: FEEDBACK_DETAIL_TYPE,
      Detail: JSON.stringify(detail),
      ...(deps.eventBusName ? { EventBusName: deps.eventBusName } : {}),
    }));
    const result = await deps.eventBridge.send(new PutEventsCommand({ Entries: entries }));
    const failed = (result.Entries ?? []).filter((entry) => entry.ErrorCode);
    if ((result.FailedEntryCount ?? 0) > 0 || failed.length > 0) {
      const codes = [...new Set(failed.map((entry) => entry.ErrorCode))].join(", ");
      throw new FeedbackPublishError(
        `${result.FailedEntryCount ?? failed.length} of ${entries.length} NotificationFeedback events were not published (${codes || "unknown error"})`,
      );
    }
    published += entries.length;
  }
  return published;
}

export async function handleSesFeedback(event: unknown, deps: SesFeedbackDeps): Promise<SesFeedbackSummary> {
  const parsed = sesEventSchema.safeParse(sesRecord(event));
  if (!parsed.success) {
    // A record SES would never send: retrying cannot fix it.
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    deps.logger.warn("not an SES event record", { event: "feedback.invalid", problems });
    return { recipients: 0, published: 0, ignored: `invalid SES event (${problems})` };
  }
  const record = parsed.data;
  const feedback = feedbackFromSesEvent(record);
  const handled = feedbackType(record.eventType);
  if (feedback.length === 0 && handled !== undefined) {
    // a type Herald reports, but nobody to report: SES changed or a record was cut short
    const missing = (record as Record<string, unknown>)[handled] === undefined;
    const reason = missing
      ? `the "${handled}" object is missing: no recipient to report`
      : `the "${handled}" object lists no recipient`;
    deps.logger.warn(`SES ${record.eventType} event without its recipients`, {
      event: "feedback.incomplete",
      eventType: record.eventType,
      reason,
    });
    return { eventType: record.eventType, recipients: 0, published: 0, ignored: reason };
  }
  if (feedback.length === 0) {
    deps.logger.info("SES event without feedback for Herald", {
      event: "feedback.ignored",
      eventType: record.eventType,
    });
    return {
      eventType: record.eventType,
      recipients: 0,
      published: 0,
      ignored: `event type ${record.eventType}`,
    };
  }
  for (const item of feedback) {
    // `timestamp` is the log line's own key in Powertools: SES's time goes as `eventTimestamp`.
    const { timestamp, ...fields } = item;
    deps.logger.info(`SES ${item.type}`, {
      event: `feedback.${item.type}`,
      ...fields,
      eventTimestamp: timestamp,
    });
  }
  const published = await publish(feedback, deps);
  // Counted once published: the metrics middleware flushes on error too, so a count added
  // before a failed publish would be emitted again by the retried invocation.
  deps.metrics.addMetric(FEEDBACK_METRIC_NAMES[feedback[0]!.type], MetricUnit.Count, feedback.length);
  return { eventType: record.eventType, recipients: feedback.length, published };
}
