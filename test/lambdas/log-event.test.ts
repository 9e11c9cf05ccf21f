// The deployed handlers never log their event, even when the function's configuration
// asks Powertools to (POWERTOOLS_LOGGER_LOG_EVENT=true): the event may hold a password.
import type { Context } from "aws-lambda";
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureStdout } from "../helpers/capture-stdout.ts";

const PASSWORD = "Event-Secret-Pa55word";

const context = {
  functionName: "herald-test",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:herald-test",
  memoryLimitInMB: "256",
  awsRequestId: "00000000-0000-4000-8000-000000000000",
  logGroupName: "/aws/lambda/herald-test",
  logStreamName: "stream",
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

// Unsaved settings with a re-entered password; port 0 is refused before any connection.
const event = {
  to: "someone@example.com",
  connect: true,
  settings: { EmailSettings: { SMTPServer: "127.0.0.1", SMTPPort: "0", SMTPPassword: PASSWORD } },
};

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe.each([
  { name: "test-send", module: "../../lambdas/test-send.ts", drop: ["connect"] },
  { name: "validate-settings", module: "../../lambdas/validate-settings.ts", drop: ["to"] },
])("the $name handler with POWERTOOLS_LOGGER_LOG_EVENT=true", ({ module, drop }) => {
  it("logs its outcome but not the event", async () => {
    vi.stubEnv("POWERTOOLS_LOGGER_LOG_EVENT", "true");
    vi.stubEnv("MM_EMAILSETTINGS_SMTPUSERNAME", "saved-user");
    // The logger reads the variable when the module creates it, as on a cold start.
    vi.resetModules();
    const { handler } = (await import(module)) as {
      handler: (event: unknown, context: Context) => Promise<unknown>;
    };
    const input = Object.fromEntries(Object.entries(event).filter(([key]) => !drop.includes(key)));
    const { result, output } = await captureStdout(() => handler(input, context));
    expect(output).not.toContain(PASSWORD);
    expect(JSON.stringify(result)).not.toContain(PASSWORD);
    const lines = output
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "INFO", function_name: "herald-test" });
    expect(lines[0].event).toMatch(/^(test-send|validate-settings)\./);
  });
});
