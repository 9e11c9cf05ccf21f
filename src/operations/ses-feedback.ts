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
import {
  BOUNCE_CATEGORY_DIMENSION,
  DELAY_TYPE_DIMENSION,
  EVENT_SOURCE,
  FEEDBACK_DETAIL_TYPE,
  FEEDBACK_METRIC_NAMES,
  STATUS_METRIC_NAMES,
} from "../constants.ts";
import {
  feedbackFromSesEvent,
  feedbackType,
  sesEventSchema,
  type NotificationFeedback,
  type SesEvent,
} from "../ses/feedback-event.ts";
import { HeraldError } from "../errors.ts";
import { statusEventFromSes } from "../status/ses-events.ts";
import type { StatusStore } from "../status/store.ts";

/** PutEvents takes at most 10 entries per call. */
const PUT_EVENTS_BATCH = 10;

export interface SesFeedbackDeps {
  eventBridge: EventBridgeClient;
  /** where NotificationFeedback events go; absent: the account's default bus */
  eventBusName?: string;
  logger: Pick<Logger, "info" | "warn">;
  metrics: Pick<Metrics, "addMetric" | "singleMetric">;
  /** status records (HERALD_TABLE_NAME); absent: feedback is published only */
  status?: StatusStore;
}

export interface SesFeedbackSummary {
  /** SES's eventType, e.g. "Bounce" */
  eventType?: string;
  recipients: number;
  published: number;
  /** why nothing was done, for events Herald does not handle */
  ignored?: string;
  /** the status record: updated, expired (left alone), or the event names no notification */
  status?: "updated" | "expired" | "no-id";
}

function countByCategory(record: SesEvent, recipients: number, deps: SesFeedbackDeps): void {
  const metric = (name: string, dimension: string, value: string) => {
    const single = deps.metrics.singleMetric();
    single.addDimension(dimension, value);
    single.addMetric(name, MetricUnit.Count, recipients);
  };
  if (record.eventType === "Bounce" && record.bounce) {
    const category = `${record.bounce.bounceType}/${record.bounce.bounceSubType ?? "Undetermined"}`;
    metric(STATUS_METRIC_NAMES.bouncesByCategory, BOUNCE_CATEGORY_DIMENSION, category);
  }
  if (record.eventType === "DeliveryDelay" && record.deliveryDelay) {
    metric(
      STATUS_METRIC_NAMES.delaysByType,
      DELAY_TYPE_DIMENSION,
      record.deliveryDelay.delayType ?? "Undetermined",
    );
  }
  if (record.eventType === "Delivery" && record.delivery?.timestamp && record.mail.timestamp) {
    const ms = Date.parse(record.delivery.timestamp) - Date.parse(record.mail.timestamp);
    if (ms >= 0) deps.metrics.addMetric(STATUS_METRIC_NAMES.timeToDelivery, MetricUnit.Milliseconds, ms);
  }
}

/** The status record's part: written before publishing, so a retry repeats both (both idempotent). */
async function updateStatus(record: SesEvent, deps: SesFeedbackDeps): Promise<SesFeedbackSummary["status"]> {
  if (!deps.status) return undefined;
  const event = statusEventFromSes(record);
  if (!event) return "no-id";
  return (await deps.status.applySesEvent(event)) ? "updated" : "expired";
}

/** Some NotificationFeedback events could not be published; the invocation is retried. */
export class FeedbackPublishError extends HeraldError {
  override name = "FeedbackPublishError";
  readonly code = "EPUBLISH";
  override readonly hint =
    "check events:PutEvents on the bus for the feedback function; the event is retried";
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
  const status = await updateStatus(record, deps);
  const withStatus = status === undefined ? {} : { status };
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
    return { eventType: record.eventType, recipients: 0, published: 0, ignored: reason, ...withStatus };
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
      ...withStatus,
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
  countByCategory(record, feedback.length, deps);
  return { eventType: record.eventType, recipients: feedback.length, published, ...withStatus };
}
