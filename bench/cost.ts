/**
 * The cost of a million notifications at each measured memory size, from the per-message
 * wall time the benchmark measured (cpu-shares.ts) and the requests the code makes per
 * notification. Prices are inputs: public on-demand prices (us-east-1, Arm Lambda as the
 * stack deploys), stated in BENCHMARKS.md next to the result. SES is left out.
 */
import type { SizeResult } from "./cpu-shares.ts";

/** Public unit prices, USD (us-east-1). */
export const PRICES = {
  lambdaArmGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  dynamoPerMillionWriteUnits: 0.625,
  dynamoPerMillionReadUnits: 0.125,
  sqsPerMillionRequests: 0.4,
  eventBridgePerMillionCustomEvents: 1.0,
};

/**
 * Per notification with one recipient, delivered, as the code makes them (batches of 10):
 * - send-notification: one invocation per SQS batch;
 * - feedback: one invocation per SES event on the configuration set's default-bus rule (Send,
 *   Delivery for a delivered message; lib/sending-domain.ts), each an UpdateItem of the
 *   status record (src/status/store.ts); Delivery is published on the Herald bus (PutEvents);
 * - DynamoDB writes: the idempotency record (Powertools: PutItem in progress, UpdateItem
 *   completed) and the status record's attempt (UpdateItem), plus feedback's two; items
 *   under 1 KB, one write unit each; no reads (status reads are `herald status` only);
 * - SQS: EventBridge's SendMessage per event, and per batch one ReceiveMessage and one
 *   DeleteMessageBatch by Lambda's poller (empty polls of an idle queue left out);
 * - EventBridge custom events: the notification event, and feedback's Delivery.
 */
export const PER_NOTIFICATION = {
  batchSize: 10,
  feedbackInvocations: 2,
  dynamoWrites: 2 + 1 + 2,
  dynamoReads: 0,
  sqsRequests: 1 + 2 / 10,
  customEvents: 2,
};

export interface CostAtSize {
  memoryMb: number;
  /** Lambda GB-s of send-notification per notification (memory x wall time per message) */
  gbSecondsPerNotification: number;
  perMillion: {
    lambdaCompute: number;
    lambdaRequests: number;
    dynamo: number;
    sqs: number;
    eventBridge: number;
    total: number;
  };
}

/** Feedback's compute is not measured here: its requests are counted, its GB-s are not. */
export function costAt(size: SizeResult): CostAtSize {
  const n = PER_NOTIFICATION;
  const gbSeconds = (size.memoryMb / 1024) * (size.perMessageMs.median / 1000);
  const million = 1_000_000;
  const lambdaCompute = gbSeconds * million * PRICES.lambdaArmGbSecond;
  const lambdaRequests = (1 / n.batchSize + n.feedbackInvocations) * PRICES.lambdaPerMillionRequests;
  const dynamo =
    n.dynamoWrites * PRICES.dynamoPerMillionWriteUnits + n.dynamoReads * PRICES.dynamoPerMillionReadUnits;
  const sqs = n.sqsRequests * PRICES.sqsPerMillionRequests;
  const eventBridge = n.customEvents * PRICES.eventBridgePerMillionCustomEvents;
  return {
    memoryMb: size.memoryMb,
    gbSecondsPerNotification: gbSeconds,
    perMillion: {
      lambdaCompute,
      lambdaRequests,
      dynamo,
      sqs,
      eventBridge,
      total: lambdaCompute + lambdaRequests + dynamo + sqs + eventBridge,
    },
  };
}
