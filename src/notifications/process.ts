/**
 * One record in, exactly one outcome out: parse, wait for the rate limit, claim the id
 * (Powertools idempotency), render, send through the transport port, classify; dead-letter
 * what can never succeed. Never throws for a record's own failure.
 */
import { createHash } from "node:crypto";
import type { Context } from "aws-lambda";
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyPersistenceLayerError,
  makeIdempotent,
} from "@aws-lambda-powertools/idempotency";
import type { BasePersistenceLayer } from "@aws-lambda-powertools/idempotency/persistence";
import {
  MAX_RECEIVE_COUNT,
  SEND_RESERVE_MS,
  SEND_RESPONSE_MARGIN_MS,
  type UnknownOutcomePolicy,
} from "../constants.ts";
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { renderNotification, type RenderNotificationOptions } from "./render-notification.ts";
import { SES_ACCOUNT_ERRORS } from "../mail/ses-transport.ts";
import type { OutgoingMessage } from "../mail/message.ts";
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
  deferredRecipients: "DeferredRecipients",
  unknownOutcome: "UnknownOutcome",
} as const;

/** How many sends of one batch run at once. @default */
export const DEFAULT_SEND_CONCURRENCY = 4;

/** How long an id stays claimed when there is no invocation deadline (CLI). */
const DEFAULT_IN_PROGRESS_MS = 60_000;

/** How long a failed completing write is retried when there is no invocation deadline (CLI). */
const DEFAULT_COMPLETE_RETRY_MS = 5_000;

/** Where counts and latencies go: Powertools Metrics (EMF), or nothing in the CLI. */
export interface MetricsSink {
  addMetric(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): unknown;
}

/** The status record's port: told each record's outcome (see status-recorder.ts). */
export interface StatusRecorder {
  record(outcome: RecordOutcome, record: NotificationRecord, notification?: Notification): Promise<void>;
}

export interface NotificationRecord {
  /** the SQS message id (the batch item identifier) */
  messageId: string;
  /** the SQS body: an EventBridge event or a bare detail, as JSON */
  body: string;
  /**
   * SQS's ApproximateReceiveCount: at MAX_RECEIVE_COUNT this is the last receive, so what is
   * still pending is dead-lettered with its reason. @default 1
   */
  receiveCount?: number;
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
  /** told each outcome, for the notification's status record. @default none */
  status?: StatusRecorder;
  /** a send that may or may not have arrived. @default "at-least-once" */
  unknownOutcome?: UnknownOutcomePolicy;
  /** receives before SQS's redrive moves a record on. @default MAX_RECEIVE_COUNT */
  maxReceiveCount?: number;
}

export interface NotificationProcessor {
  process(record: NotificationRecord): Promise<RecordOutcome>;
}

type SendFailure = Failure & { kind: "retryable" | "permanent"; unknown?: boolean };

/** A send that did not happen, carried out of the idempotent function (which releases the id). */
class NotSent extends Error {
  override name = "NotSent";
  readonly failure: SendFailure;
  constructor(failure: SendFailure) {
    super(failure.reason);
    this.failure = failure;
  }
}

interface Attempt {
  /** set when this call ran the send (not a stored result) */
  ran: boolean;
  sent?: Sent;
  /** what the idempotency record is to hold, for a completing write retried by hand */
  record?: SentRecord;
}

/**
 * One round of a notification: round 0 sends to every recipient; a later round (on a later
 * receive) to those a server refused for now. Each round is claimed and completed as its
 * own idempotency record, whose `settled` list says who is done.
 */
interface Round {
  notification: Notification;
  index: number;
  /** envelope recipients of this round */
  recipients: string[];
  /** digests of the recipients settled in earlier rounds */
  settled: string[];
  /** round 0's send time: later rounds keep its Date header */
  firstSentAt?: string;
  /** at-most-once and a claim taken over from a dead invocation: complete without sending */
  completeUnknown?: boolean;
}

/** A recipient as the record keeps it: a digest, not the address (no PII at rest). */
export function recipientDigest(address: string): string {
  return createHash("sha256").update(address.toLowerCase()).digest("base64url").slice(0, 16);
}

/** Round 0's key is the event id, as it always was; later rounds add a line feed (never in an id). */
function roundKey(id: string, index: number): { id: string } {
  return { id: index === 0 ? id : `${id}\n${index}` };
}

function allRecipients(notification: Notification): string[] {
  return [...notification.to, ...(notification.cc ?? []), ...(notification.bcc ?? [])];
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

function failureFromOutcome(outcome: SendOutcome): SendFailure {
  const error = outcome.error;
  // an adapter that failed without saying why gets another chance rather than a dead letter
  const retryable =
    (error?.retryable ?? true) ||
    TRANSPORT_STAGES.has(outcome.stage ?? "") ||
    SES_ACCOUNT_ERRORS.has(error?.code ?? "");
  const failure: SendFailure = {
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

function byteLength(raw: Buffer | string): number {
  return typeof raw === "string" ? Buffer.byteLength(raw) : raw.length;
}

export function createNotificationProcessor(deps: NotificationDeps): NotificationProcessor {
  const now = deps.now ?? Date.now;
  const { logger, metrics } = deps;
  const policy = deps.unknownOutcome ?? "at-least-once";
  const maxReceiveCount = deps.maxReceiveCount ?? MAX_RECEIVE_COUNT;
  const gate: WorkGate = createWorkGate(deps.concurrency ?? DEFAULT_SEND_CONCURRENCY);
  const config = notificationIdempotencyConfig();
  // The in-progress lease of a claimed id ends with the invocation (not its deadline: a send
  // may outlast that): a killed function's ids become claimable again instead of blocking them
  // for the whole duplicate window.
  const leaseEnd = () => deps.invocationEnd ?? deps.deadline ?? now() + DEFAULT_IN_PROGRESS_MS;
  config.registerLambdaContext({
    getRemainingTimeInMillis: () => Math.max(leaseEnd() - now(), 1),
  } as Context);
  // Configured now (not at the first claim): a takeover check may read a record before.
  deps.persistence.configure({ config, keyPrefix: NOTIFICATION_KEY_PREFIX });
  /** When the last store call, send reply and completing write must be over. */
  const workEnd = () =>
    deps.invocationEnd === undefined ? undefined : deps.invocationEnd - SEND_RESPONSE_MARGIN_MS;

  const countUnknown = (id: string, why: string, extra: Record<string, unknown> = {}) => {
    metrics.addMetric(METRIC.unknownOutcome, MetricUnit.Count, 1);
    logger.warn("the server may or may not have this notification", {
      event: "notification.unknown-outcome",
      id,
      why,
      policy,
      ...extra,
    });
  };

  const sendRound = makeIdempotent(
    async (_key: { id: string }, round: Round, attempt: Attempt): Promise<SentRecord> => {
      attempt.ran = true;
      const { notification } = round;
      const settled = (addresses: readonly string[]) => [
        ...round.settled,
        ...addresses.map((address) => recipientDigest(address)),
      ];
      if (round.completeUnknown) {
        // at-most-once: the dead invocation may have sent it; never send it a second time.
        const record: SentRecord = {
          messageId: "",
          accepted: 0,
          rejected: 0,
          sentAt: new Date(now()).toISOString(),
          settled: settled(round.recipients),
          unknown: true,
        };
        attempt.record = record;
        attempt.sent = {
          kind: "sent",
          id: notification.id,
          messageId: "",
          accepted: 0,
          rejected: [],
          latencyMs: 0,
          recorded: true,
          unknown: true,
        };
        return record;
      }
      // The message's Date, kept with the record: a later round re-renders the same message.
      const messageDate = round.firstSentAt ?? (deps.render?.date ?? new Date(now())).toISOString();
      const rendered = await renderNotification(deps.settings, notification, {
        ...deps.render,
        date: new Date(messageDate),
      }).catch((error: unknown) => {
        throw new NotSent(renderFailure(error));
      });
      const size = byteLength(rendered.raw);
      if (size > NOTIFICATION_LIMITS.messageBytes) {
        throw new NotSent({
          kind: "permanent",
          code: "EMESSAGESIZE",
          reason: `message: the rendered message is ${size} bytes, over the ${NOTIFICATION_LIMITS.messageBytes}-byte (10 MB) limit`,
        });
      }
      // The same message; its envelope goes to this round's recipients only.
      const message: OutgoingMessage = { ...rendered, to: round.recipients };
      const transport = deps.transport();
      // A send starts only when its whole bound fits before the invocation ends (with the
      // completing write and the response after it): a transmitted message is never aborted.
      const end = workEnd();
      const tooLate =
        (deps.deadline !== undefined && now() >= deps.deadline) ||
        (end !== undefined && now() + transport.sendBoundMs + SEND_RESERVE_MS > end);
      if (tooLate) {
        throw new NotSent({
          kind: "retryable",
          code: "EDEADLINE",
          reason: `not sent: less time is left in the invocation than one send may take (${transport.sendBoundMs} ms); the record is delivered again`,
        });
      }
      const started = now();
      const outcome = await transport.send(
        message,
        end === undefined ? {} : { deadline: end - SEND_RESERVE_MS },
      );
      const latencyMs = now() - started;
      metrics.addMetric(METRIC.sendLatency, MetricUnit.Milliseconds, latencyMs);
      if (!outcome.ok && outcome.unknown) {
        const failure = failureFromOutcome(outcome);
        countUnknown(notification.id, failure.reason, { code: failure.code, stage: failure.stage });
        if (policy === "at-least-once") {
          throw new NotSent({ ...failure, kind: "retryable", code: "EUNKNOWN", unknown: true });
        }
        const record: SentRecord = {
          messageId: outcome.messageId,
          accepted: 0,
          rejected: 0,
          sentAt: new Date(now()).toISOString(),
          settled: settled(round.recipients),
          unknown: true,
          ...(round.firstSentAt ? { firstSentAt: round.firstSentAt } : {}),
        };
        attempt.record = record;
        attempt.sent = {
          kind: "sent",
          id: notification.id,
          messageId: outcome.messageId,
          accepted: 0,
          rejected: [],
          latencyMs,
          recorded: true,
          unknown: true,
        };
        return record;
      }
      // Every recipient refused, some of them for good: those are settled (logged and
      // counted), the others are retried; only a refusal of everyone for now retries it whole.
      const settledSome = outcome.ok || (outcome.deferred?.length && outcome.rejected.length > 0);
      if (!settledSome) throw new NotSent(failureFromOutcome(outcome));
      const deferred = outcome.deferred ?? [];
      const sent: Sent = {
        kind: "sent",
        id: notification.id,
        messageId: outcome.messageId,
        accepted: outcome.accepted.length,
        rejected: outcome.rejected,
        latencyMs,
        recorded: true,
      };
      if (deferred.length > 0) {
        sent.deferred = deferred;
        if (outcome.deferredReason !== undefined) sent.deferredReason = outcome.deferredReason;
      }
      if (outcome.providerMessageId !== undefined) sent.providerMessageId = outcome.providerMessageId;
      attempt.sent = sent;
      const sentAt = new Date(now()).toISOString();
      const record: SentRecord = {
        messageId: outcome.messageId,
        accepted: outcome.accepted.length,
        rejected: outcome.rejected.length,
        sentAt,
        settled: settled(round.recipients.filter((address) => !deferred.includes(address))),
        firstSentAt: messageDate,
      };
      if (outcome.providerMessageId !== undefined) record.providerMessageId = outcome.providerMessageId;
      attempt.record = record;
      return record;
    },
    { persistenceStore: deps.persistence, config, keyPrefix: NOTIFICATION_KEY_PREFIX },
  );

  /**
   * The completing write failed after a send: try it again while the invocation has time,
   * so a redelivery finds the record and does not send again.
   */
  const completeAgain = async (key: { id: string }, record: SentRecord): Promise<boolean> => {
    for (let wait = 50; ; wait *= 2) {
      const end = workEnd() ?? now() + DEFAULT_COMPLETE_RETRY_MS;
      if (now() + wait >= end) return false;
      await new Promise((resolve) => setTimeout(resolve, wait));
      try {
        await deps.persistence.saveSuccess(
          key,
          record as unknown as Parameters<BasePersistenceLayer["saveSuccess"]>[1],
        );
        return true;
      } catch {
        // the store is still down: wait longer, while time is left
      }
    }
  };

  /**
   * A claim taken over from an invocation that died while it held it (its lease ran out):
   * that invocation may have been sending. Only a redelivered record can meet one.
   */
  const takenOver = async (key: { id: string }): Promise<boolean> => {
    try {
      const existing = await deps.persistence.getRecord(key);
      const until = existing.inProgressExpiryTimestamp;
      return existing.getStatus() === "INPROGRESS" && until !== undefined && until < now();
    } catch {
      // absent, or unreadable: the claim itself says what it finds
      return false;
    }
  };

  const deadLetter = async (
    record: NotificationRecord,
    failure: Failure,
    problems?: EventProblem[],
    recipients?: string[],
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
        ...(recipients !== undefined ? { recipients } : {}),
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
  };

  const sendValid = async (
    record: NotificationRecord,
    notification: Notification,
  ): Promise<RecordOutcome> => {
    const id = notification.id;
    if (!deps.settings.EmailSettings.SendEmailNotifications) return { kind: "disabled", id };
    const redelivered = (record.receiveCount ?? 1) > 1;
    const everyone = allRecipients(notification);
    let recipients = everyone;
    let settled: string[] = [];
    let firstSentAt: string | undefined;
    let providerMessageId: string | undefined;
    // Walk the rounds: stored ones say who is settled; the first one not stored is sent now.
    for (let index = 0; index <= maxReceiveCount; index++) {
      const key = roundKey(id, index);
      const round: Round = { notification, index, recipients, settled };
      if (firstSentAt !== undefined) round.firstSentAt = firstSentAt;
      if ((redelivered || index > 0) && (await takenOver(key))) {
        countUnknown(id, "a claim taken over from an invocation that ended while it held it", {
          round: index,
          sqsMessageId: record.messageId,
        });
        if (policy === "at-most-once") round.completeUnknown = true;
      }
      const attempt: Attempt = { ran: false };
      let stored: SentRecord | undefined;
      // Wait for the rate limit before claiming the round: a claim taken first could outlive
      // its lease while waiting (60 s without a deadline) and let another run send it too.
      await deps.rateLimiter.acquire(recipients.length);
      try {
        stored = await sendRound(key, round, attempt);
      } catch (error) {
        if (attempt.record && attempt.sent) {
          // Sent, then the record could not be completed: write it again while time is left.
          const recorded = await completeAgain(key, attempt.record);
          return { ...attempt.sent, recorded };
        }
        return failed(record, id, error, recipients);
      }
      if (attempt.sent) {
        const sent = attempt.sent;
        if (!sent.deferred?.length) return sent;
        // Some recipients refused it for now: a later receive sends to them, the last one
        // dead-letters them with the server's reason.
        if ((record.receiveCount ?? 1) < maxReceiveCount) return sent;
        const letter = await deadLetter(
          record,
          {
            id,
            code: "EDEFERRED",
            reason: `still refused for now after ${maxReceiveCount} receives: ${sent.deferredReason ?? "temporary refusal"}`,
          },
          undefined,
          sent.deferred,
        );
        return { ...sent, deadLetter: letter.deadLetter };
      }
      // Stored: move on to the recipients this round left for later, if any.
      providerMessageId = stored?.providerMessageId ?? providerMessageId;
      // A record from before rounds (no `settled`) settled everyone.
      settled = stored?.settled ?? everyone.map((address) => recipientDigest(address));
      firstSentAt = stored?.firstSentAt ?? stored?.sentAt ?? firstSentAt;
      const done = new Set(settled);
      recipients = everyone.filter((address) => !done.has(recipientDigest(address)));
      if (recipients.length === 0) {
        const duplicate: RecordOutcome = { kind: "duplicate", id };
        if (providerMessageId !== undefined) duplicate.providerMessageId = providerMessageId;
        return duplicate;
      }
    }
    return {
      kind: "retryable",
      id,
      code: "EINTERNAL",
      reason: `more rounds than ${maxReceiveCount} receives allow`,
    };
  };

  /** A round that sent nothing: retried, dead-lettered, or (on the last receive) dead-lettered with its reason. */
  const failed = async (
    record: NotificationRecord,
    id: string,
    error: unknown,
    pending: string[],
  ): Promise<RecordOutcome> => {
    if (error instanceof NotSent) {
      const failure = { ...error.failure, id };
      if (failure.kind === "permanent") return deadLetter(record, failure);
      const retryable: Retryable = { ...failure, kind: "retryable" };
      // The last receive: SQS would move it on without a reason; say why, and for whom.
      if ((record.receiveCount ?? 1) >= maxReceiveCount) {
        return deadLetter(
          record,
          { ...failure, reason: `not sent after ${maxReceiveCount} receives: ${failure.reason}` },
          undefined,
          pending,
        );
      }
      return retryable;
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
        const invalid = report(await deadLetter(record, failure, parsed.problems), record);
        await deps.status?.record(invalid, record);
        return invalid;
      }
      const notification = parsed.notification;
      const outcome = await gate.run(notification.id, () => sendValid(record, notification));
      await deps.status?.record(outcome, record, notification);
      return report(outcome, record);
    },
  };
}
