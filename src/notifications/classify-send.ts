/**
 * The classify step: what a round that did not send means for its record (retry, dead
 * letter), as data. The transport's own classifier has already read the server's reply.
 */
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyPersistenceLayerError,
} from "@aws-lambda-powertools/idempotency";
import { describeError, HeraldError } from "../errors.ts";
import { SES_ACCOUNT_ERRORS } from "../mail/ses-errors.ts";
import type { SendOutcome } from "../mail/transport.ts";
import { ContentRenderError } from "../smtp/errors.ts";
import type { Failure, Retryable } from "./outcome.ts";

export type SendFailure = Failure & { kind: "retryable" | "permanent"; unknown?: boolean };

/** A send that did not happen, carried out of the idempotent function (which releases the id). */
export class NotSent extends HeraldError {
  override name = "NotSent";
  readonly code: string;
  readonly failure: SendFailure;
  constructor(failure: SendFailure) {
    super(failure.reason, failure.hint === undefined ? {} : { hint: failure.hint });
    this.code = failure.code;
    this.failure = failure;
  }
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

export function failureFromOutcome(outcome: SendOutcome): SendFailure {
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

/**
 * Whether the server settled some recipients: accepted by at least one, or (every recipient
 * refused) refused for good by some while the others were refused for now. Only a refusal
 * of everyone for now, or a failure of the message itself, retries it whole.
 */
export function settledSome(outcome: SendOutcome): boolean {
  return outcome.ok || ((outcome.deferred?.length ?? 0) > 0 && outcome.rejected.length > 0);
}

/** Rendering depends on the event's content only: a failure is the same on every retry. */
export function renderFailure(error: unknown): Failure & { kind: "permanent" } {
  const known = error instanceof ContentRenderError;
  const detail = describeError(error);
  return {
    kind: "permanent",
    code: "ERENDER",
    reason: known ? error.message : `event: the message cannot be rendered (${detail})`,
    hint: known ? error.hint : "Check the event's subject, html and text against the event schema.",
  };
}

/**
 * A round that threw something other than NotSent: a claim held by another invocation, or
 * the store unreachable or hung. Retried (SQS's redrive policy applies).
 */
export function claimFailure(id: string, error: unknown): Retryable {
  if (error instanceof IdempotencyAlreadyInProgressError) {
    return {
      kind: "retryable",
      id,
      code: "EINPROGRESS",
      reason: "another invocation is sending this id right now; the record is delivered again later",
    };
  }
  const detail = describeError(error);
  const cause =
    error instanceof IdempotencyPersistenceLayerError && error.cause instanceof Error
      ? ` (${describeError(error.cause)})`
      : "";
  return {
    kind: "retryable",
    id,
    code: error instanceof IdempotencyPersistenceLayerError ? "EIDEMPOTENCY" : "EINTERNAL",
    reason: `${detail}${cause}`,
  };
}
