// One send-notification invocation in a process of its own, for the race test: it waits
// until RACE_START_AT (epoch ms) so that two workers claim the same id at the same moment,
// then prints its batch response as one JSON line.
import { createSendNotificationHandler } from "../../lambdas/send-notification.ts";
import { ALL_AWS_CLIENTS } from "../../src/aws-clients.ts";
import { createRuntime } from "../../src/runtime.ts";
import { lambdaContext, sqsEvent } from "./send-notification.fixtures.ts";

const runtime = createRuntime({
  serviceName: "herald-race-worker",
  env: process.env,
  clients: ALL_AWS_CLIENTS,
});
const handler = createSendNotificationHandler(runtime);
const event = sqsEvent(JSON.parse(process.env.RACE_EVENT ?? "{}"));
await new Promise((resolve) =>
  setTimeout(resolve, Math.max(0, Number(process.env.RACE_START_AT) - Date.now())),
);
const response = await handler(event, lambdaContext());
await runtime.close();
process.stdout.write(`${JSON.stringify({ failed: response.batchItemFailures.length })}\n`);
