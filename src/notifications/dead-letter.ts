import { SendMessageCommand, type MessageAttributeValue, type SQSClient } from "@aws-sdk/client-sqs";

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

/** A standard SQS queue as the dead-letter queue (SendMessage; the reason as attributes). */
export function sqsDeadLetterQueue(client: SQSClient, queueUrl: string): DeadLetterQueue {
  return {
    async send(letter) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: letter.body,
          MessageAttributes: deadLetterAttributes(letter),
        }),
      );
    },
  };
}
