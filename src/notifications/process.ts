/**
 * One record in, exactly one outcome out: parse, wait for the rate limit, claim the id
 * (Powertools idempotency), render, send through the transport port, classify; dead-letter
 * what can never succeed. Never throws for a record's own failure.
 */
import type { Context } from "aws-lambda";
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyPersistenceLayerError,
  makeIdempotent,
} from "@aws-lambda-powertools/idempotency";
import type { BasePersistenceLayer } from "@aws-lambda-powertools/idempotency/persistence";
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { renderNotification, type RenderNotificationOptions } from "../mail/render-notification.ts";
import { SES_ACCOUNT_ERRORS } from "../mail/ses-transport.ts";
import type { MailTransport, SendOutcome } from "../mail/transport.ts";
import type { HeraldSettings } from "../settings/model.ts";
import { ContentRenderError } from "../smtp/errors.ts";
import { createWorkGate, type WorkGate } from "./concurrency.ts";
import type { DeadLetterQueue } from "./dead-letter.ts";
import { NOTIFICATION_KEY_PREFIX, notificationIdempotencyConfig, type SentRecord } from "./idempotency.ts";
import type { Failure, Permanent, RecordOutcome, Retryable, Sent } from "./outcome.ts";
import { describeProblems, parseNotificationEvent, type EventProblem } from "./parse.ts";
import type { RateLimiter } from "./rate-limiter.ts";
import { NOTIFICATION_LIMITS, type Notification } from "./schema.ts";

/** Metric names (EMF, namespace Herald). */
export const METRIC = {
  sent: "Sent",
  duplicate: "Duplicate",
  retryable: "Retryable",
  permanent: "Permanent",
  sendLatency: "SendLatency",
  rejectedRecipients: "RejectedRecipients",
} as const;

/** How many sends of one batch run at once. @default */
export const DEFAULT_SEND_CONCURRENCY = 4;

/** Time kept back at the invocation's end for the batch response after the last send stops. */
const SEND_END_MARGIN_MS = 500;

/** How long an id stays claimed when there is no invocation deadline (CLI). */
const DEFAULT_IN_PROGRESS_MS = 60_000;

/** Where counts and latencies go: Powertools Metrics (EMF), or nothing in the CLI. */
export interface MetricsSink {
  addMetric(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): unknown;
}

export interface NotificationRecord {
  /** the SQS message id (the batch item identifier) */
  messageId: string;
  /** the SQS body: an EventBridge event or a bare detail, as JSON */
  body: string;
}

export interface NotificationDeps {
  settings: HeraldSettings;
  /** the transport for these settings; asked for only when something is sent */
  transport: () => MailTransport;
  /** idempotency records: DynamoDB, or in memory for a CLI run */
  persistence: BasePersistenceLayer;
  /** one per container, shared by every batch */
  rateLimiter: RateLimiter;
  /** absent: permanent failures are counted and left for SQS's own redrive policy */
  deadLetters?: DeadLetterQueue;
  logger: Pick<Logger, "info" | "warn" | "error">;
  metrics: MetricsSink;
  /** sends in flight at once. @default DEFAULT_SEND_CONCURRENCY */
  concurrency?: number;
  render?: RenderNotificationOptions;
  /** epoch ms: no send starts after it (the invocation's remaining time less a margin) */
  deadline?: number;
  /**
   * epoch ms when the invocation ends: a claimed id stays claimed until then, since a send
   * started before `deadline` may still run up to it. @default deadline
   */
  invocationEnd?: number;
  /** @default Date.now */
  now?: () => number;
}

export interface NotificationProcessor {
  process(record: NotificationRecord): Promise<RecordOutcome>;
}

/** A send that did not happen, carried out of the idempotent function (which releases the id). */
class NotSent extends Error {
  override name = "NotSent";
  readonly failure: Failure & { kind: "retryable" | "permanent" };
  constructor(failure: Failure & { kind: "retryable" | "permanent" }) {
    super(failure.reason);
    this.failure = failure;
  }
}

interface Attempt {
  /** set when this call ran the send (not a stored result) */
  ran: boolean;
  sent?: Sent;
}

/**
 * Failures on the way to the server, before MAIL FROM (a refused login, a certificate, a
 * closed port), and SES account states: every message would fail the same way, so they are
 * not this message's fault. The record is retried; the queue's redrive policy and the alarms
 * take over if it lasts (a credential rotation must not dead-letter every notification).
 */
const TRANSPORT_STAGES: ReadonlySet<string> = new Set([
  "config",
  "connect",
  "tls",
  "greeting",
  "ehlo",
  "starttls",
  "auth",
]);

function failureFromOutcome(outcome: SendOutcome): Failure & { kind: "retryable" | "permanent" } {
  const error = outcome.error;
  // an adapter that failed without saying why gets another chance rather than a dead letter
  const retryable =
    (error?.retryable ?? true) ||
    TRANSPORT_STAGES.has(outcome.stage ?? "") ||
    SES_ACCOUNT_ERRORS.has(error?.code ?? "");
  const failure: Failure & { kind: "retryable" | "permanent" } = {
    kind: retryable ? "retryable" : "permanent",
    code: error?.code ?? "ESEND",
    reason: error?.response ?? error?.message ?? "the transport did not accept the message",
  };
  if (error?.responseCode !== undefined) failure.responseCode = error.responseCode;
  if (outcome.stage !== undefined) failure.stage = outcome.stage;
  if (outcome.hint !== undefined) failure.hint = outcome.hint;
  return failure;
}

/** Rendering depends on the event's content only: a failure is the same on every retry. */
function renderFailure(error: unknown): Failure & { kind: "permanent" } {
  const known = error instanceof ContentRenderError;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return {
    kind: "permanent",
    code: "ERENDER",
    reason: known ? error.message : `event: the message cannot be rendered (${detail})`,
    hint: known ? error.hint : "Check the event's subject, html and text against the event schema.",
  };
}

function recipientCount(notification: Notification): number {
  return notification.to.length + (notification.cc?.length ?? 0) + (notification.bcc?.length ?? 0);
}

function byteLength(raw: Buffer | string): number {
  return typeof raw === "string" ? Buffer.byteLength(raw) : raw.length;
}

export function createNotificationProcessor(deps: NotificationDeps): NotificationProcessor {
  const now = deps.now ?? Date.now;
  const { logger, metrics } = deps;
  const gate: WorkGate = createWorkGate(deps.concurrency ?? DEFAULT_SEND_CONCURRENCY);
  const config = notificationIdempotencyConfig();
  // The in-progress lease of a claimed id ends with the invocation (not its deadline: a send
  // may outlast that): a killed function's ids become claimable again instead of blocking them
  // for the whole duplicate window.
  const leaseEnd = () => deps.invocationEnd ?? deps.deadline ?? now() + DEFAULT_IN_PROGRESS_MS;
  config.registerLambdaContext({
    getRemainingTimeInMillis: () => Math.max(leaseEnd() - now(), 1),
  } as Context);

  const sendOnce = makeIdempotent(
    async (notification: Notification, attempt: Attempt): Promise<SentRecord> => {
      attempt.ran = true;
      const message = await renderNotification(deps.settings, notification, deps.render ?? {}).catch(
        (error: unknown) => {
          throw new NotSent(renderFailure(error));
        },
      );
      const size = byteLength(message.raw);
      if (size > NOTIFICATION_LIMITS.messageBytes) {
        throw new NotSent({
          kind: "permanent",
          code: "EMESSAGESIZE",
          reason: `message: the rendered message is ${size} bytes, over the ${NOTIFICATION_LIMITS.messageBytes}-byte (10 MB) limit`,
        });
      }
      if (deps.deadline !== undefined && now() >= deps.deadline) {
        throw new NotSent({
          kind: "retryable",
          code: "EDEADLINE",
          reason: "not sent: the invocation is about to time out; the record is delivered again",
        });
      }
      const started = now();
      // A send may run until the invocation ends, less a margin to return the results.
      const sendDeadline =
        deps.invocationEnd === undefined ? undefined : deps.invocationEnd - SEND_END_MARGIN_MS;
      const outcome = await deps.transport().send(message, { deadline: sendDeadline });
      const latencyMs = now() - started;
      metrics.addMetric(METRIC.sendLatency, MetricUnit.Milliseconds, latencyMs);
      if (!outcome.ok) throw new NotSent(failureFromOutcome(outcome));
      const sent: Sent = {
        kind: "sent",
        id: notification.id,
        messageId: outcome.messageId,
        accepted: outcome.accepted.length,
        rejected: outcome.rejected,
        latencyMs,
        recorded: true,
      };
      if (outcome.providerMessageId !== undefined) sent.providerMessageId = outcome.providerMessageId;
      attempt.sent = sent;
      const record: SentRecord = {
        messageId: outcome.messageId,
        accepted: outcome.accepted.length,
        rejected: outcome.rejected.length,
        sentAt: new Date(now()).toISOString(),
      };
      if (outcome.providerMessageId !== undefined) record.providerMessageId = outcome.providerMessageId;
      return record;
    },
    { persistenceStore: deps.persistence, config, keyPrefix: NOTIFICATION_KEY_PREFIX },
  );

  const deadLetter = async (
    record: NotificationRecord,
    failure: Failure,
    problems?: EventProblem[],
  ): Promise<Permanent> => {
    const permanent: Permanent = { ...failure, kind: "permanent", deadLetter: "none" };
    if (problems) permanent.problems = problems;
    if (!deps.deadLetters) return permanent;
    try {
      await deps.deadLetters.send({
        body: record.body,
        reason: failure.reason,
        code: failure.code,
        sourceMessageId: record.messageId,
        ...(failure.id !== undefined ? { eventId: failure.id } : {}),
        ...(failure.responseCode !== undefined ? { responseCode: failure.responseCode } : {}),
        ...(failure.stage !== undefined ? { stage: failure.stage } : {}),
      });
      permanent.deadLetter = "sent";
    } catch (error) {
      permanent.deadLetter = "failed";
      logger.error("dead-letter queue refused a permanent failure; the record will be delivered again", {
        event: "notification.dead-letter-failed",
        id: failure.id,
        sqsMessageId: record.messageId,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
    return permanent;
  };

  const report = (outcome: RecordOutcome, record: NotificationRecord): RecordOutcome => {
    const base = { id: outcome.id, sqsMessageId: record.messageId };
    switch (outcome.kind) {
      case "sent":
        metrics.addMetric(METRIC.sent, MetricUnit.Count, 1);
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
  };

  const sendValid = async (
    record: NotificationRecord,
    notification: Notification,
  ): Promise<RecordOutcome> => {
    const id = notification.id;
    if (!deps.settings.EmailSettings.SendEmailNotifications) return { kind: "disabled", id };
    const attempt: Attempt = { ran: false };
    // Wait for the rate limit before claiming the id: a claim taken first could outlive its
    // lease while waiting (60 s without a deadline) and let another run send the id too.
    await deps.rateLimiter.acquire(recipientCount(notification));
    try {
      const stored = await sendOnce(notification, attempt);
      if (attempt.sent) return attempt.sent;
      const duplicate: RecordOutcome = { kind: "duplicate", id };
      if (stored?.providerMessageId !== undefined) duplicate.providerMessageId = stored.providerMessageId;
      return duplicate;
    } catch (error) {
      // Sent, then the record could not be completed: acknowledge, never send it again now.
      if (attempt.sent) return { ...attempt.sent, recorded: false };
      if (error instanceof NotSent) {
        const failure = { ...error.failure, id };
        if (failure.kind === "retryable") return { ...failure, kind: "retryable" } satisfies Retryable;
        return deadLetter(record, failure);
      }
      if (error instanceof IdempotencyAlreadyInProgressError) {
        return {
          kind: "retryable",
          id,
          code: "EINPROGRESS",
          reason: "another invocation is sending this id right now; the record is delivered again later",
        };
      }
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const cause =
        error instanceof IdempotencyPersistenceLayerError && error.cause instanceof Error
          ? ` (${error.cause.name}: ${error.cause.message})`
          : "";
      return {
        kind: "retryable",
        id,
        code: error instanceof IdempotencyPersistenceLayerError ? "EIDEMPOTENCY" : "EINTERNAL",
        reason: `${detail}${cause}`,
      };
    }
  };

  return {
    async process(record) {
      const parsed = parseNotificationEvent(record.body);
      if (!parsed.ok) {
        const failure: Failure = {
          code: "EEVENT",
          reason: `invalid event: ${describeProblems(parsed.problems)}`,
        };
        if (parsed.id !== undefined) failure.id = parsed.id;
        return report(await deadLetter(record, failure, parsed.problems), record);
      }
      const notification = parsed.notification;
      const outcome = await gate.run(notification.id, () => sendValid(record, notification));
      return report(outcome, record);
    },
  };
}
