/**
 * One round of a notification, claimed and completed as its own idempotency record: round 0
 * sends to every recipient; a later round (on a later receive) to those a server refused for
 * now. Its steps: compose (with round 0's Date), render (SES Simple content, or MIME bytes and
 * their size check), deadline check, send, classify.
 */
import { createHash } from "node:crypto";
import { makeIdempotent, type IdempotencyConfig } from "@aws-lambda-powertools/idempotency";
import type { BasePersistenceLayer } from "@aws-lambda-powertools/idempotency/persistence";
import { SEND_RESERVE_MS, type UnknownOutcomePolicy } from "../constants.ts";
import { renderMime } from "../mail/compose.ts";
import type { ComposedMessage, OutgoingMessage } from "../mail/message.ts";
import { sesContentFor } from "../mail/ses-content.ts";
import type { MailTransport, SendOutcome } from "../mail/transport.ts";
import type { HeraldSettings } from "../settings/model.ts";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { failureFromOutcome, NotSent, renderFailure, settledSome } from "./classify-send.ts";
import { NOTIFICATION_KEY_PREFIX, type SentRecord } from "./idempotency.ts";
import type { Sent } from "./outcome.ts";
import { composeNotification, type RenderNotificationOptions } from "./render-notification.ts";
import { METRIC, type MetricsSink } from "./report.ts";
import { NOTIFICATION_LIMITS, type Notification } from "./schema.ts";

export interface Round {
  notification: Notification;
  index: number;
  /** envelope recipients of this round */
  recipients: string[];
  /** digests of the recipients settled in earlier rounds */
  settled: string[];
  /** round 0's Date header: later rounds re-send the same message */
  firstSentAt?: string;
  /** at-most-once and a claim taken over from a dead invocation: complete without sending */
  completeUnknown?: boolean;
}

/** What one call of the round did, beside what it returned. */
export interface Attempt {
  /** set when this call ran the round (not a stored result) */
  ran: boolean;
  sent?: Sent;
  /** what the idempotency record is to hold, for a completing write retried by hand */
  record?: SentRecord;
}

/** A recipient as the record keeps it: a digest, not the address (no PII at rest). */
export function recipientDigest(address: string): string {
  return createHash("sha256").update(address.toLowerCase()).digest("base64url").slice(0, 16);
}

/** Round 0's key is the event id, as it always was; later rounds add a line feed (never in an id). */
export function roundKey(id: string, index: number): { id: string } {
  return { id: index === 0 ? id : `${id}\n${index}` };
}

export function allRecipients(notification: Notification): string[] {
  return [...notification.to, ...(notification.cc ?? []), ...(notification.bcc ?? [])];
}

export interface RoundContext {
  settings: HeraldSettings;
  transport: () => MailTransport;
  persistence: BasePersistenceLayer;
  config: IdempotencyConfig;
  render?: RenderNotificationOptions;
  /** epoch ms: no send starts after it */
  deadline?: number;
  /** when the last send reply and completing write must be over (epoch ms), if bounded */
  workEnd: () => number | undefined;
  now: () => number;
  policy: UnknownOutcomePolicy;
  metrics: MetricsSink;
  /** counts and logs an unknown outcome */
  unknown: (id: string, why: string, extra?: Record<string, unknown>) => void;
}

function byteLength(raw: Buffer | string): number {
  return typeof raw === "string" ? Buffer.byteLength(raw) : raw.length;
}

/** A message that cannot be rendered fails the same way every time: permanent. */
function notRendered(error: unknown): never {
  throw new NotSent(renderFailure(error));
}

/** The idempotent round: claimed before it runs, completed with what it returns. */
export function createRoundSender(ctx: RoundContext) {
  const { now } = ctx;

  /** Step: compose the message's parts, dated with round 0's Date (fixed before the first render). */
  const compose = async (round: Round) => {
    const date = round.firstSentAt ?? (ctx.render?.date ?? new Date(now())).toISOString();
    const composed = await composeNotification(ctx.settings, round.notification, {
      ...ctx.render,
      date: new Date(date),
    }).catch(notRendered);
    // The same message; its envelope goes to this round's recipients only.
    return { composed: { ...composed, to: round.recipients }, date };
  };

  /**
   * Step: the form the transport takes. SES's Simple content when the transport sends
   * composed messages and every header fits SES's rules (ses-content.ts); else MIME bytes.
   */
  const render = async (
    composed: ComposedMessage,
    transport: MailTransport,
  ): Promise<{ composed: ComposedMessage } | { raw: OutgoingMessage }> => {
    if (
      transport.sendComposed &&
      sesContentFor(composed, NOTIFICATION_LIMITS.messageBytes).content === "simple"
    ) {
      return { composed };
    }
    const rendered = await renderMime(composed).catch(notRendered);
    checkSize(rendered.raw);
    return { raw: { ...rendered, to: composed.to } };
  };

  /** Step: a message over 10 MB can never be sent. */
  const checkSize = (raw: Buffer | string) => {
    const size = byteLength(raw);
    if (size > NOTIFICATION_LIMITS.messageBytes) {
      throw new NotSent({
        kind: "permanent",
        code: "EMESSAGESIZE",
        reason: `message: the rendered message is ${size} bytes, over the ${NOTIFICATION_LIMITS.messageBytes}-byte (10 MB) limit`,
      });
    }
  };

  /**
   * Step: a send starts only when its whole bound fits before the invocation ends (with the
   * completing write and the response after it): a transmitted message is never aborted.
   */
  const checkDeadline = (transport: MailTransport) => {
    const end = ctx.workEnd();
    const tooLate =
      (ctx.deadline !== undefined && now() >= ctx.deadline) ||
      (end !== undefined && now() + transport.sendBoundMs + SEND_RESERVE_MS > end);
    if (tooLate) {
      throw new NotSent({
        kind: "retryable",
        code: "EDEADLINE",
        reason: `not sent: less time is left in the invocation than one send may take (${transport.sendBoundMs} ms); the record is delivered again`,
      });
    }
  };

  /** The record completed as sent-unknown (at-most-once: never sent a second time). */
  const completeUnknown = (round: Round, attempt: Attempt, messageId: string, latencyMs: number) => {
    const record: SentRecord = {
      messageId,
      accepted: 0,
      rejected: 0,
      sentAt: new Date(now()).toISOString(),
      settled: settledAfter(round, round.recipients),
      unknown: true,
      ...(round.firstSentAt ? { firstSentAt: round.firstSentAt } : {}),
    };
    attempt.record = record;
    attempt.sent = {
      kind: "sent",
      id: round.notification.id,
      messageId,
      accepted: 0,
      rejected: [],
      latencyMs,
      recorded: true,
      unknown: true,
    };
    return record;
  };

  /** Step: what the server said, as the record to complete (or a NotSent to retry or dead-letter). */
  const classify = (
    round: Round,
    attempt: Attempt,
    outcome: SendOutcome,
    date: string,
    latencyMs: number,
  ) => {
    const id = round.notification.id;
    if (!outcome.ok && outcome.unknown) {
      const failure = failureFromOutcome(outcome);
      ctx.unknown(id, failure.reason, { code: failure.code, stage: failure.stage });
      if (ctx.policy === "at-least-once") {
        throw new NotSent({ ...failure, kind: "retryable", code: "EUNKNOWN", unknown: true });
      }
      return completeUnknown(round, attempt, outcome.messageId, latencyMs);
    }
    // Every recipient refused, some of them for good: those are settled (logged and
    // counted), the others are retried; only a refusal of everyone for now retries it whole.
    if (!settledSome(outcome)) throw new NotSent(failureFromOutcome(outcome));
    const deferred = outcome.deferred ?? [];
    const sent: Sent = {
      kind: "sent",
      id,
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
    const record: SentRecord = {
      messageId: outcome.messageId,
      accepted: outcome.accepted.length,
      rejected: outcome.rejected.length,
      sentAt: new Date(now()).toISOString(),
      settled: settledAfter(
        round,
        round.recipients.filter((address) => !deferred.includes(address)),
      ),
      firstSentAt: date,
    };
    if (outcome.providerMessageId !== undefined) record.providerMessageId = outcome.providerMessageId;
    attempt.record = record;
    return record;
  };

  return makeIdempotent(
    async (_key: { id: string }, round: Round, attempt: Attempt): Promise<SentRecord> => {
      attempt.ran = true;
      if (round.completeUnknown) return completeUnknown(round, attempt, "", 0);
      const { composed, date } = await compose(round);
      const transport = ctx.transport();
      const message = await render(composed, transport);
      checkDeadline(transport);
      const started = now();
      const end = ctx.workEnd();
      const options = end === undefined ? {} : { deadline: end - SEND_RESERVE_MS };
      const outcome =
        "raw" in message
          ? await transport.send(message.raw, options)
          : await transport.sendComposed!(message.composed, options);
      const latencyMs = now() - started;
      ctx.metrics.addMetric(METRIC.sendLatency, MetricUnit.Milliseconds, latencyMs);
      return classify(round, attempt, outcome, date, latencyMs);
    },
    { persistenceStore: ctx.persistence, config: ctx.config, keyPrefix: NOTIFICATION_KEY_PREFIX },
  );
}

/** The settled digests after a round: the earlier ones and these addresses. */
function settledAfter(round: Round, addresses: readonly string[]): string[] {
  return [...round.settled, ...addresses.map((address) => recipientDigest(address))];
}
