// "Did they get it?" from the Lambda console: event { "id": "..." } -> the notification's status
// record (per recipient: state, when, why). Reads status items only; never sends anything.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { SERVICE_NAMES } from "../src/constants.ts";
import { describeEventIssues, eventObject, notificationStatusEventSchema } from "../src/lambda/events.ts";
import { createRuntime, type Runtime } from "../src/runtime.ts";
import { statusLines } from "../src/status/format.ts";
import { openStatusStore } from "../src/status/open.ts";
import { allDelivered, type NotificationStatus } from "../src/status/record.ts";

export type NotificationStatusResult =
  | ({ found: true; allDelivered: boolean; summary: string[] } & NotificationStatus)
  | { found: false; id?: string; error?: string };

/** The handler for a runtime (tests build their own; the deployed one is below). */
export function createNotificationStatusHandler(runtime: Runtime) {
  const store = openStatusStore(runtime);
  const lookUp = async (event: unknown): Promise<NotificationStatusResult> => {
    const parsed = notificationStatusEventSchema.safeParse(eventObject(event));
    if (!parsed.success) return { found: false, error: describeEventIssues(parsed.error) };
    const { id } = parsed.data;
    if (!store) return { found: false, id, error: "HERALD_TABLE_NAME is not set: no status records" };
    const status = await store.read(id);
    if (!status) return { found: false, id, error: "no status record: unknown id, or expired" };
    return { found: true, allDelivered: allDelivered(status), summary: statusLines(status), ...status };
  };
  return middy(lookUp).use(injectLambdaContext(runtime.logger, { logEvent: false }));
}

export const handler = createNotificationStatusHandler(
  createRuntime({ serviceName: SERVICE_NAMES.status, clients: { DYNAMODB: DynamoDBClient } }),
);
