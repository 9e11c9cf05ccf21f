// One warm "container" of the send-notification function for the fault tests: the real
// handler, built once, run for each batch the SQS simulator sends over IPC. The simulator
// may kill it (kill -9) at any moment, as Lambda does at a timeout.
import type { SQSEvent } from "aws-lambda";
import { createSendNotificationHandler } from "../../lambdas/send-notification.ts";
import { createRuntime } from "../../src/runtime.ts";
import { lambdaContext } from "../lambdas/send-notification.fixtures.ts";
import { ALL_AWS_CLIENTS } from "../../src/aws-clients.ts";

interface Invocation {
  invocation: number;
  event: SQSEvent;
  remainingMs: number;
}

const runtime = createRuntime({ serviceName: "herald-faults", env: process.env, clients: ALL_AWS_CLIENTS });
const handler = createSendNotificationHandler(runtime);
process.on("message", (message: Invocation) => {
  void handler(message.event, lambdaContext(message.remainingMs)).then(
    (response) => process.send?.({ invocation: message.invocation, response }),
    (error: unknown) => process.send?.({ invocation: message.invocation, error: String(error) }),
  );
});
process.send?.({ ready: true });
