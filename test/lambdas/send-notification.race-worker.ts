// One send-notification invocation in a process of its own, for the race test: loaded, it
// prints "ready" and waits for a line on stdin (the test sends it once both workers are
// ready) so that two workers claim the same id at the same moment, then prints its batch
// response as one JSON line.
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
process.stdout.write("ready\n");
await new Promise((resolve) => process.stdin.once("data", resolve));
process.stdin.destroy();
const response = await handler(event, lambdaContext());
await runtime.close();
process.stdout.write(`${JSON.stringify({ failed: response.batchItemFailures.length })}\n`);
