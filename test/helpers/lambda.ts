/**
 * Invoking the deployed handlers as Lambda would: the middy-wrapped handler of a runtime
 * built from the current environment (tests stub it with vi.stubEnv), with a console-like
 * context.
 */
import type { Context } from "aws-lambda";
import { createTestSendHandler } from "../../lambdas/test-send.ts";
import { createValidateSettingsHandler } from "../../lambdas/validate-settings.ts";
import type { TestSendReport } from "../../src/operations/test-send.ts";
import type { ValidateSettingsResult } from "../../src/operations/validate-settings.ts";
import { ALL_AWS_CLIENTS } from "../../src/aws-clients.ts";
import { createRuntime, type Runtime } from "../../src/runtime.ts";

export function lambdaContext(remainingMs = 60_000, functionName = "herald-test"): Context {
  const end = Date.now() + remainingMs;
  return {
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: "256",
    awsRequestId: "00000000-0000-4000-8000-000000000000",
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "stream",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => end - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function withRuntime<T>(serviceName: string, use: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = createRuntime({ env: process.env, serviceName, clients: ALL_AWS_CLIENTS });
  try {
    return await use(runtime);
  } finally {
    await runtime.close();
  }
}

export function invokeTestSend(event: unknown, context = lambdaContext()): Promise<TestSendReport> {
  return withRuntime("herald-test-send", (runtime) => createTestSendHandler(runtime)(event, context));
}

export function invokeValidateSettings(
  event: unknown,
  context = lambdaContext(),
): Promise<ValidateSettingsResult> {
  return withRuntime("herald-validate-settings", (runtime) =>
    createValidateSettingsHandler(runtime)(event, context),
  );
}
