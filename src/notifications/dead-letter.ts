import type { MessageAttributeValue, SQSClient } from "@aws-sdk/client-sqs";
import type { Logger } from "@aws-lambda-powertools/logger";
import { describeError } from "../errors.ts";
import type { Failure, Permanent } from "./outcome.ts";
import type { EventProblem } from "./parse.ts";

/** A permanent failure on its way to the dead-letter queue: the original body and why. */
export interface DeadLetter {
  /** the SQS record's body, unchanged, so the event can be fixed and re-driven */
  body: string;
  /** "to[0]: must be a plain email address ..." or the server's reply */
  reason: string;
  /** EEVENT, EMESSAGESIZE, or the transport's classified code */
  code: string;
  /** the SQS message id of the failed record */
  sourceMessageId: string;
  eventId?: string;
  responseCode?: number;
  stage?: string;
  /** the recipients it is dead-lettered for, when others already got it */
  recipients?: string[];
}

/** Where permanent failures go. `send` throws when the message could not be stored. */
export interface DeadLetterQueue {
  send(letter: DeadLetter): Promise<void>;
}

// SQS attribute values must be valid XML characters (no lone surrogates either: an event can
// escape one in its JSON); keep them readable and bounded too.
const REASON_CHARS = 1024;
function attributeText(value: string, max = REASON_CHARS): string {
  const clean = value.replace(/[\p{Cc}\ufffe\uffff]+/gu, " ").trim();
  const bounded = clean.length > max ? `${clean.slice(0, max - 1)}…` : clean || "-";
  return bounded.toWellFormed();
}

function text(value: string, max?: number): MessageAttributeValue {
  return { DataType: "String", StringValue: attributeText(value, max) };
}

/** The message attributes a dead letter carries (at most 10, as SQS allows). */
export function deadLetterAttributes(letter: DeadLetter): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {
    Reason: text(letter.reason),
    ErrorCode: text(letter.code, 64),
    SourceMessageId: text(letter.sourceMessageId, 128),
    FailedAt: text(new Date().toISOString()),
  };
  if (letter.eventId !== undefined) attributes.EventId = text(letter.eventId, 256);
  if (letter.responseCode !== undefined)
    attributes.ResponseCode = { DataType: "Number", StringValue: String(letter.responseCode) };
  if (letter.stage !== undefined) attributes.Stage = text(letter.stage, 32);
  if (letter.recipients !== undefined) attributes.Recipients = text(letter.recipients.join(", "));
  return attributes;
}

/**
 * A standard SQS queue as the dead-letter queue (SendMessage; the reason as attributes). The
 * client may be given as a loader: the SQS SDK then loads with the first dead letter, not at
 * a cold start.
 */
export function sqsDeadLetterQueue(
  client: SQSClient | (() => Promise<SQSClient>),
  queueUrl: string,
): DeadLetterQueue {
  return {
    async send(letter) {
      const [sqs, { SendMessageCommand }] = await Promise.all([
        typeof client === "function" ? client() : client,
        import("@aws-sdk/client-sqs"),
      ]);
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: letter.body,
          MessageAttributes: deadLetterAttributes(letter),
        }),
      );
    },
  };
}

/**
 * The dead-letter step: a permanent failure goes to the queue with its reason (and, when
 * others already got the message, the recipients it is for). A queue that refuses it, or no
 * queue at all, leaves the record for SQS's redelivery instead: nothing is lost.
 */
export async function deadLetterRecord(
  queue: DeadLetterQueue | undefined,
  logger: Pick<Logger, "error">,
  record: { messageId: string; body: string },
  failure: Failure,
  options: { problems?: EventProblem[]; recipients?: string[] } = {},
): Promise<Permanent> {
  const permanent: Permanent = { ...failure, kind: "permanent", deadLetter: "none" };
  if (options.problems) permanent.problems = options.problems;
  if (!queue) return permanent;
  try {
    await queue.send({
      body: record.body,
      reason: failure.reason,
      code: failure.code,
      sourceMessageId: record.messageId,
      ...(failure.id !== undefined ? { eventId: failure.id } : {}),
      ...(failure.responseCode !== undefined ? { responseCode: failure.responseCode } : {}),
      ...(failure.stage !== undefined ? { stage: failure.stage } : {}),
      ...(options.recipients !== undefined ? { recipients: options.recipients } : {}),
    });
    permanent.deadLetter = "sent";
  } catch (error) {
    permanent.deadLetter = "failed";
    logger.error("dead-letter queue refused a permanent failure; the record will be delivered again", {
      event: "notification.dead-letter-failed",
      id: failure.id,
      sqsMessageId: record.messageId,
      error: describeError(error),
    });
  }
  return permanent;
}
