/**
 * One record in, exactly one outcome out, in named steps (Powertools BatchProcessor style: a
 * small processRecord, success and failure handled apart): parse; then, round by round, wait
 * for the rate limit, claim (Powertools idempotency), render, size check, deadline check,
 * send, classify (round.ts); dead-letter what can never succeed (dead-letter.ts); log and
 * count (report.ts). Never throws for a record's own failure.
 */
import type { Context } from "aws-lambda";
import type { BasePersistenceLayer } from "@aws-lambda-powertools/idempotency/persistence";
import { MAX_RECEIVE_COUNT, SEND_RESPONSE_MARGIN_MS, type UnknownOutcomePolicy } from "../constants.ts";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { RenderNotificationOptions } from "./render-notification.ts";
import type { MailTransport } from "../mail/transport.ts";
import type { HeraldSettings } from "../settings/model.ts";
import { claimFailure, NotSent } from "./classify-send.ts";
import { createWorkGate, type WorkGate } from "./concurrency.ts";
import { deadLetterRecord, type DeadLetterQueue } from "./dead-letter.ts";
import { NOTIFICATION_KEY_PREFIX, notificationIdempotencyConfig, type SentRecord } from "./idempotency.ts";
import type { Failure, RecordOutcome, Sent } from "./outcome.ts";
import { describeProblems, parseNotificationEvent } from "./parse.ts";
import type { RateLimiter } from "./rate-limiter.ts";
import { reportOutcome, reportUnknown, type MetricsSink } from "./report.ts";
import {
  allRecipients,
  createRoundSender,
  recipientDigest,
  roundKey,
  type Attempt,
  type Round,
} from "./round.ts";
import type { Notification } from "./schema.ts";

/** How many sends of one batch run at once. @default */
export const DEFAULT_SEND_CONCURRENCY = 4;

/** How long an id stays claimed when there is no invocation deadline (CLI). */
const DEFAULT_IN_PROGRESS_MS = 60_000;

/** How long a failed completing write is retried when there is no invocation deadline (CLI). */
const DEFAULT_COMPLETE_RETRY_MS = 5_000;

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
  const isLastReceive = (record: NotificationRecord) => (record.receiveCount ?? 1) >= maxReceiveCount;

  const unknown = (id: string, why: string, extra: Record<string, unknown> = {}) =>
    reportUnknown(logger, metrics, { id, why, policy, ...extra });

  const sendRound = createRoundSender({
    settings: deps.settings,
    transport: deps.transport,
    persistence: deps.persistence,
    config,
    ...(deps.render ? { render: deps.render } : {}),
    ...(deps.deadline !== undefined ? { deadline: deps.deadline } : {}),
    workEnd,
    now,
    policy,
    metrics,
    unknown,
  });

  const deadLetter = (
    record: NotificationRecord,
    failure: Failure,
    options: Parameters<typeof deadLetterRecord>[4] = {},
  ) => deadLetterRecord(deps.deadLetters, logger, record, failure, options);

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

  /**
   * Claim step: wait for the rate limit, then run the round under its claim (a claim taken
   * first could outlive its lease while waiting, 60 s without a deadline, and let another run
   * send it too). A claim taken over from a dead invocation is an unknown outcome first.
   */
  const claimAndSend = async (
    record: NotificationRecord,
    round: Round,
    attempt: Attempt,
  ): Promise<SentRecord | undefined> => {
    const key = roundKey(round.notification.id, round.index);
    if (((record.receiveCount ?? 1) > 1 || round.index > 0) && (await takenOver(key))) {
      unknown(round.notification.id, "a claim taken over from an invocation that ended while it held it", {
        round: round.index,
        sqsMessageId: record.messageId,
      });
      if (policy === "at-most-once") round.completeUnknown = true;
    }
    await deps.rateLimiter.acquire(round.recipients.length);
    return sendRound(key, round, attempt);
  };

  /**
   * Success handling: a round that sent. Recipients refused for now get it on a later
   * receive; on the last one they are dead-lettered with the server's reason.
   */
  const onSent = async (record: NotificationRecord, sent: Sent): Promise<RecordOutcome> => {
    if (!sent.deferred?.length || !isLastReceive(record)) return sent;
    const letter = await deadLetter(
      record,
      {
        id: sent.id,
        code: "EDEFERRED",
        reason: `still refused for now after ${maxReceiveCount} receives: ${sent.deferredReason ?? "temporary refusal"}`,
      },
      { recipients: sent.deferred },
    );
    return { ...sent, deadLetter: letter.deadLetter };
  };

  /**
   * Failure handling: a round that sent nothing is retried, or dead-lettered when it never
   * can succeed or when this is the last receive (SQS would move it on without a reason).
   */
  const onFailure = async (
    record: NotificationRecord,
    id: string,
    error: unknown,
    pending: string[],
  ): Promise<RecordOutcome> => {
    if (!(error instanceof NotSent)) return claimFailure(id, error);
    const failure = { ...error.failure, id };
    if (failure.kind === "permanent") return deadLetter(record, failure);
    if (isLastReceive(record)) {
      return deadLetter(
        record,
        { ...failure, reason: `not sent after ${maxReceiveCount} receives: ${failure.reason}` },
        { recipients: pending },
      );
    }
    return { ...failure, kind: "retryable" };
  };

  /** Walks the rounds: stored ones say who is settled; the first one not stored is sent now. */
  const sendRounds = async (
    record: NotificationRecord,
    notification: Notification,
  ): Promise<RecordOutcome> => {
    const id = notification.id;
    const everyone = allRecipients(notification);
    let recipients = everyone;
    let settled: string[] = [];
    let firstSentAt: string | undefined;
    let providerMessageId: string | undefined;
    for (let index = 0; index <= maxReceiveCount; index++) {
      const round: Round = { notification, index, recipients, settled };
      if (firstSentAt !== undefined) round.firstSentAt = firstSentAt;
      const attempt: Attempt = { ran: false };
      let stored: SentRecord | undefined;
      try {
        stored = await claimAndSend(record, round, attempt);
      } catch (error) {
        if (attempt.record && attempt.sent) {
          // Sent, then the record could not be completed: write it again while time is left.
          const recorded = await completeAgain(roundKey(id, index), attempt.record);
          return { ...attempt.sent, recorded };
        }
        return onFailure(record, id, error, recipients);
      }
      if (attempt.sent) return onSent(record, attempt.sent);
      // Stored: move on to the recipients this round left for later, if any.
      providerMessageId = stored?.providerMessageId ?? providerMessageId;
      // A record from before rounds (no `settled`) settled everyone.
      settled = stored?.settled ?? everyone.map((address) => recipientDigest(address));
      firstSentAt = stored?.firstSentAt ?? stored?.sentAt ?? firstSentAt;
      const done = new Set(settled);
      recipients = everyone.filter((address) => !done.has(recipientDigest(address)));
      if (recipients.length === 0) {
        return { kind: "duplicate", id, ...(providerMessageId !== undefined ? { providerMessageId } : {}) };
      }
    }
    return {
      kind: "retryable",
      id,
      code: "EINTERNAL",
      reason: `more rounds than ${maxReceiveCount} receives allow`,
    };
  };

  /** processRecord: parse, send (one id at a time), then the status record and the log/metrics step. */
  const processRecord = async (record: NotificationRecord): Promise<RecordOutcome> => {
    const parsed = parseNotificationEvent(record.body);
    if (!parsed.ok) {
      const failure: Failure = {
        code: "EEVENT",
        reason: `invalid event: ${describeProblems(parsed.problems)}`,
      };
      if (parsed.id !== undefined) failure.id = parsed.id;
      const invalid = reportOutcome(
        logger,
        metrics,
        await deadLetter(record, failure, { problems: parsed.problems }),
        record.messageId,
      );
      await deps.status?.record(invalid, record);
      return invalid;
    }
    const notification = parsed.notification;
    const outcome = await gate.run(notification.id, () =>
      deps.settings.EmailSettings.SendEmailNotifications
        ? sendRounds(record, notification)
        : Promise.resolve<RecordOutcome>({ kind: "disabled", id: notification.id }),
    );
    await deps.status?.record(outcome, record, notification);
    return reportOutcome(logger, metrics, outcome, record.messageId);
  };

  return { process: processRecord };
}
