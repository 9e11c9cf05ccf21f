// SES event destination (EventBridge rule on the default bus, Herald's configuration set only):
// bounce, complaint, delivery, reject and delivery-delay events, logged, counted and published
// as NotificationFeedback events on Herald's bus; with HERALD_TABLE_NAME, also each
// notification's status record (Send and RenderingFailure events too). Throws only when publishing failed (retried).
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { SERVICE_NAMES } from "../src/constants.ts";
import { handleSesFeedback } from "../src/operations/ses-feedback.ts";
import { createRuntime, type Runtime } from "../src/runtime.ts";
import { openStatusStore } from "../src/status/open.ts";

/** The handler for a runtime (tests build one from their own environment). */
export function createFeedbackHandler(runtime: Runtime) {
  const status = openStatusStore(runtime);
  return middy((event: unknown) =>
    handleSesFeedback(event, {
      eventBridge: runtime.eventBridge(),
      eventBusName: runtime.config.eventBusName,
      logger: runtime.logger,
      metrics: runtime.metrics,
      ...(status ? { status } : {}),
    }),
  )
    .use(injectLambdaContext(runtime.logger, { logEvent: false }))
    .use(logMetrics(runtime.metrics));
}

export const handler = createFeedbackHandler(
  createRuntime({
    serviceName: SERVICE_NAMES.feedback,
    clients: { EVENTBRIDGE: EventBridgeClient, DYNAMODB: DynamoDBClient },
  }),
);
