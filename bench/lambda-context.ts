/** SQS batches and a Lambda context for invoking handlers outside Lambda. */
import { randomUUID } from "node:crypto";
import type { Context, SQSEvent } from "aws-lambda";
import { sqsRecord } from "../src/notifications/batch.ts";

export function sqsBatch(bodies: unknown[]): SQSEvent {
  // The same record shape as the CLI's (src/notifications/batch.ts).
  return {
    Records: bodies.map((body) =>
      sqsRecord(typeof body === "string" ? body : JSON.stringify(body), randomUUID()),
    ),
  };
}

/** A context with `remainingMs` left, like an invocation that just started. */
export function lambdaContext(functionName: string, remainingMs = 60_000): Context {
  const end = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: "512",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "bench",
    getRemainingTimeInMillis: () => end - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Split `items` into batches of `size` (an SQS event source's batch size). */
export function batches<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
