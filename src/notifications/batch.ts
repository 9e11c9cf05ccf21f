import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { HeraldError } from "../errors.ts";
import { needsRedelivery, type RecordOutcome } from "./outcome.ts";
import type { NotificationProcessor } from "./process.ts";

/** Thrown for a record SQS must deliver again: the batch processor lists it in batchItemFailures. */
class RecordNotAcknowledged extends HeraldError {
  override name = "RecordNotAcknowledged";
  readonly code = "ENOTACKNOWLEDGED";
}

export interface BatchResult {
  response: SQSBatchResponse;
  /** one per record, in the order the records finished */
  outcomes: RecordOutcome[];
}

/**
 * Run an SQS batch through the processor with Powertools' partial batch response: records
 * that need another delivery are reported in `batchItemFailures`, the rest are acknowledged.
 * A batch where every record failed is reported the same way (not thrown), which SQS treats
 * alike and which keeps the outcomes for logging.
 */
export async function processNotificationBatch(
  event: SQSEvent,
  processor: NotificationProcessor,
  options: { context?: Context; onOutcome?: (outcome: RecordOutcome, messageId: string) => void } = {},
): Promise<BatchResult> {
  const outcomes: RecordOutcome[] = [];
  const recordHandler = async (record: SQSRecord): Promise<RecordOutcome> => {
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount);
    const outcome = await processor.process({
      messageId: record.messageId,
      body: record.body,
      ...(Number.isInteger(receiveCount) && receiveCount > 0 ? { receiveCount } : {}),
    });
    outcomes.push(outcome);
    options.onOutcome?.(outcome, record.messageId);
    if (needsRedelivery(outcome)) throw new RecordNotAcknowledged(`${outcome.kind}: ${outcome.id ?? "?"}`);
    return outcome;
  };
  const response = await processPartialResponse(event, recordHandler, new BatchProcessor(EventType.SQS), {
    ...(options.context ? { context: options.context } : {}),
    throwOnFullBatchFailure: false,
  });
  return { response: { batchItemFailures: response.batchItemFailures }, outcomes };
}

/** An SQS record around a body, for the CLI and tests (the fields Lambda would fill). */
export function sqsRecord(body: string, messageId: string): SQSRecord {
  return {
    messageId,
    receiptHandle: messageId,
    body,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: String(Date.now()),
      SenderId: "herald",
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:herald-notifications",
    awsRegion: "us-east-1",
  };
}
