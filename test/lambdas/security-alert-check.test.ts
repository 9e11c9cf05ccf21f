// The deployed handler (middy, Powertools logger and metrics) on a runtime built from a test
// environment: loopback feed, loopback SMTP server, dynalite for the shared table.
import type { Context } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createSecurityAlertCheckHandler } from "../../lambdas/security-alert-check.ts";
import { ALL_AWS_CLIENTS } from "../../src/aws-clients.ts";
import { createRuntime, type Runtime } from "../../src/runtime.ts";
import { captureStdout } from "../helpers/capture-stdout.ts";
import { startDynalite, type TestDynamo } from "../../sandbox/servers/dynalite.ts";
import { startFeedServer, type TestFeedServer } from "../../sandbox/servers/feed.ts";
import { closedPort, startSmtpServer, type TestSmtpServer } from "../helpers/smtp-servers.ts";

const scheduledEvent = {
  version: "0",
  id: "event-id-7c1f",
  "detail-type": "Scheduled Event",
  source: "aws.events",
  time: "2026-01-01T00:00:00Z",
  region: "eu-west-1",
  resources: ["arn:aws:events:eu-west-1:123456789012:rule/herald-security-check"],
  detail: { marker: "do-not-log-me" },
};

function lambdaContext(remainingMs = 60_000): Context {
  return {
    functionName: "herald-security-alert-check",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:herald-security-alert-check",
    memoryLimitInMB: "256",
    awsRequestId: "request-1234",
    logGroupName: "/aws/lambda/herald-security-alert-check",
    logStreamName: "stream",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => remainingMs,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

let dynamo: TestDynamo;
let feed: TestFeedServer;
let smtp: TestSmtpServer;
const runtimes: Runtime[] = [];
beforeAll(async () => {
  dynamo = await startDynalite();
  smtp = await startSmtpServer({ starttls: false });
});
afterAll(async () => {
  await smtp.close();
  await dynamo.close();
});
afterEach(async () => {
  for (const runtime of runtimes.splice(0)) await runtime.close();
  await feed?.close();
  smtp.messages.length = 0;
});

async function environment(overrides: Record<string, string> = {}): Promise<Record<string, string>> {
  feed = await startFeedServer({
    bulletins: [
      { id: "MMSA-1", applies_to_version: "9.11.2" },
      { id: "MMSA-2", applies_to_version: "<9.0.0" },
    ],
    bodies: { "MMSA-1": "<p>Upgrade</p>" },
  });
  return {
    ...dynamo.env(await dynamo.createTable()),
    MM_EMAILSETTINGS_SMTPSERVER: "127.0.0.1",
    MM_EMAILSETTINGS_SMTPPORT: String(smtp.port),
    HERALD_SECURITY_FEED_URL: feed.url,
    HERALD_PRODUCT_VERSION: "9.11.2",
    HERALD_ADMIN_EMAILS: "ops@example.com,sec@example.com",
    ...overrides,
  };
}

async function invoke(env: Record<string, string>, context = lambdaContext()) {
  const runtime = createRuntime({
    env,
    serviceName: "herald-security-alert-check",
    clients: ALL_AWS_CLIENTS,
  });
  runtimes.push(runtime);
  const handler = createSecurityAlertCheckHandler(runtime);
  // Powertools writes WARN and ERROR lines to stderr; CloudWatch gets both streams.
  const stderr: string[] = [];
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  });
  const { result, output: stdout } = await captureStdout(() => handler(scheduledEvent, context)).finally(() =>
    spy.mockRestore(),
  );
  const output = `${stdout}${stderr.join("")}`;
  const lines = output
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const emf = lines.find((line) => "_aws" in line) ?? {};
  const logs = lines.filter((line) => !("_aws" in line));
  return { result, logs, emf, output };
}

describe("security-alert-check Lambda", () => {
  it("emails the applicable bulletin to each administrator, logs the summary and counts the emails", async () => {
    const env = await environment();
    const { result, logs, emf, output } = await invoke(env);
    expect(result).toEqual({ checked: 2, applicable: 1, sent: 2, skipped: 0, errors: [] });
    expect(smtp.messages.map((m) => m.to[0]).sort()).toEqual(["ops@example.com", "sec@example.com"]);
    expect(logs.at(-1)).toMatchObject({
      level: "INFO",
      message: "security check done",
      event: "security-check.done",
      sent: 2,
      function_request_id: "request-1234",
      service: "herald-security-alert-check",
    });
    expect(emf).toMatchObject({
      SecurityBulletinEmailsSent: 2,
      SecurityCheckErrors: 0,
      SecurityCheckFailed: 0,
    });
    // The scheduled event itself is never logged.
    expect(output).not.toContain("do-not-log-me");

    const again = await invoke(env);
    expect(again.result).toEqual({ checked: 2, applicable: 1, sent: 0, skipped: 2, errors: [] });
    expect(smtp.messages).toHaveLength(2);
  });

  it("returns an error summary and a failure metric when the feed is down; never throws", async () => {
    // The closed port is chosen while the test's own feed listens, so it cannot be the feed's.
    const env = await environment();
    env.HERALD_SECURITY_FEED_URL = `http://127.0.0.1:${await closedPort()}`;
    const { result, logs, emf } = await invoke(env);
    expect(result).toEqual({
      checked: 0,
      applicable: 0,
      sent: 0,
      skipped: 0,
      errors: [{ stage: "feed", message: expect.stringMatching(/^EFEEDUNREACHABLE: .*ECONNREFUSED/) }],
    });
    expect(logs.at(-1)).toMatchObject({ level: "ERROR", event: "security-check.failed" });
    expect(emf).toMatchObject({
      SecurityBulletinEmailsSent: 0,
      SecurityCheckErrors: 1,
      SecurityCheckFailed: 1,
    });
    expect(smtp.messages).toHaveLength(0);
  });

  it("reports missing configuration as a failed run naming the variables", async () => {
    const env = await environment({ HERALD_TABLE_NAME: "", HERALD_ADMIN_EMAILS: "" });
    const { result, emf } = await invoke(env);
    expect(result.errors.map((e) => e.message.split(":")[0])).toEqual([
      "HERALD_ADMIN_EMAILS",
      "HERALD_TABLE_NAME",
    ]);
    expect(emf).toMatchObject({ SecurityCheckFailed: 1 });
    expect(feed.requests).toHaveLength(0);
  });

  it("skips, with the reason logged, when SendEmailNotifications is false", async () => {
    const env = await environment({ MM_EMAILSETTINGS_SENDEMAILNOTIFICATIONS: "false" });
    const { result, logs, emf } = await invoke(env);
    expect(result).toMatchObject({ sent: 0, errors: [], skippedReason: "SendEmailNotifications is false" });
    expect(logs).toContainEqual(
      expect.objectContaining({ event: "security-check.skipped", reason: "SendEmailNotifications is false" }),
    );
    expect(emf).toMatchObject({ SecurityCheckFailed: 0 });
    expect(feed.requests).toHaveLength(0);
  });

  it("stops before the invocation's time runs out", async () => {
    const env = await environment();
    const { result } = await invoke(env, lambdaContext(500));
    expect(result.errors).toEqual([{ stage: "deadline", message: expect.stringMatching(/time ran out/) }]);
    expect(smtp.messages).toHaveLength(0);
  });
});
