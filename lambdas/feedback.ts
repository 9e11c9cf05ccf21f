// SES event destination (EventBridge rule on the default bus, Herald's configuration set only):
// bounce, complaint, delivery, reject and delivery-delay events, logged, counted and published
// as NotificationFeedback events on Herald's bus. Throws only when publishing failed (retried).
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { handleSesFeedback } from "../src/operations/ses-feedback.ts";
import { createRuntime } from "../src/runtime.ts";

const runtime = createRuntime({
  serviceName: "herald-feedback",
  clients: { EVENTBRIDGE: EventBridgeClient },
});

export const handler = middy((event: unknown) =>
  handleSesFeedback(event, {
    eventBridge: runtime.eventBridge(),
    eventBusName: runtime.config.eventBusName,
    logger: runtime.logger,
    metrics: runtime.metrics,
  }),
)
  .use(injectLambdaContext(runtime.logger, { logEvent: false }))
  .use(logMetrics(runtime.metrics));
