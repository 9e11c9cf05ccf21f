/**
 * Shared by the send-notification Lambda tests and their race worker: SQS events around
 * notification bodies, a Lambda context, and the runtime environment for loopback servers.
 */
import { randomUUID } from "node:crypto";
import type { JSONValue } from "@aws-lambda-powertools/commons/types";
import type { Context, SQSEvent } from "aws-lambda";
import { sqsRecord } from "../../src/notifications/batch.ts";

export const DLQ_URL = "https://sqs.us-east-1.amazonaws.com/000000000000/herald-notifications-dlq";

export function notification(id: string, change: Record<string, JSONValue> = {}): Record<string, JSONValue> {
  return {
    id,
    to: ["bob@example.com"],
    subject: `Notification ${id}`,
    html: `<p>Hello Bob, this is <b>${id}</b>.</p>`,
    ...change,
  };
}

/** An SQS event; each body is sent as JSON unless it is already a string. */
export function sqsEvent(...bodies: unknown[]): SQSEvent {
  return {
    Records: bodies.map((body) =>
      sqsRecord(typeof body === "string" ? body : JSON.stringify(body), randomUUID()),
    ),
  };
}

export function lambdaContext(remainingMs = 60_000): Context {
  const end = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: "herald-send-notification",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:herald-send-notification",
    memoryLimitInMB: "256",
    awsRequestId: randomUUID(),
    logGroupName: "/aws/lambda/herald-send-notification",
    logStreamName: "test",
    getRemainingTimeInMillis: () => end - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Settings (MM_* variables) for a clear-text loopback SMTP server, and the send path's variables. */
export function smtpEnv(port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    MM_EMAILSETTINGS_SMTPSERVER: "127.0.0.1",
    MM_EMAILSETTINGS_SMTPPORT: String(port),
    MM_EMAILSETTINGS_CONNECTIONSECURITY: "",
    MM_EMAILSETTINGS_FEEDBACKNAME: "Example Chat",
    MM_EMAILSETTINGS_FEEDBACKEMAIL: "notifications@example.com",
    MM_EMAILSETTINGS_REPLYTOADDRESS: "support@example.com",
    MM_SERVICESETTINGS_SITEURL: "https://chat.example.com",
    HERALD_TRANSPORT: "smtp",
    HERALD_MAX_SEND_RATE: "1000",
    POWERTOOLS_LOG_LEVEL: "SILENT",
    ...extra,
  };
}
