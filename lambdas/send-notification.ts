// Notifications from SQS (fed by an EventBridge rule for detail-type "Notification"): each
// record is sent once, retried (batchItemFailures) or dead-lettered with its reason.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SSMClient } from "@aws-sdk/client-ssm";
import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { SERVICE_NAMES } from "../src/constants.ts";
import { deadlineFrom } from "../src/lambda/context.ts";
import { summarize } from "../src/notifications/outcome.ts";
import { createNotificationPipeline, type PipelineOptions } from "../src/notifications/pipeline.ts";
import { createRuntime, type Runtime } from "../src/runtime.ts";

/** The handler for a runtime (tests build their own; the deployed one is below). */
export function createSendNotificationHandler(runtime: Runtime, options: PipelineOptions = {}) {
  const pipeline = createNotificationPipeline(runtime, options);
  const sendNotifications = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const started = Date.now();
    // A send starts only when its whole bound fits before the invocation's end (with the
    // completing write and this response after it): the processor checks each one.
    const invocationEnd = deadlineFrom(context, 0);
    const { response, outcomes } = await pipeline.processBatch(event, {
      context,
      ...(invocationEnd !== undefined ? { invocationEnd } : {}),
    });
    runtime.logger.info("batch done", {
      event: "notification.batch",
      ...summarize(outcomes, (Date.now() - started) / 1000),
      batchItemFailures: response.batchItemFailures.length,
    });
    return response;
  };
  return middy(sendNotifications)
    .use(injectLambdaContext(runtime.logger, { logEvent: false }))
    .use(logMetrics(runtime.metrics));
}

export const handler = createSendNotificationHandler(
  createRuntime({
    serviceName: SERVICE_NAMES.sendNotification,
    // the ses-api transport loads its SES client on first send, the dead-letter queue its
    // SQS client with the first dead letter
    clients: { SSM: SSMClient, DYNAMODB: DynamoDBClient },
  }),
);
