import { SESv2Client } from "@aws-sdk/client-sesv2";
import { SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { composeMessage } from "../../src/mail/compose.ts";
import { createRuntime, RuntimeConfigError, runtimeConfigFrom } from "../../src/runtime.ts";
import { startLocalSes, type LocalSes } from "../../sandbox/servers/ses.ts";

const CREDENTIALS = {
  AWS_ACCESS_KEY_ID: "AKIDLOCAL",
  AWS_SECRET_ACCESS_KEY: "local",
  AWS_REGION: "eu-west-1",
};

describe("runtime configuration", () => {
  it("defaults to ses-smtp and 14 emails per second", () => {
    expect(runtimeConfigFrom({})).toMatchObject({ transport: "ses-smtp", maxSendRate: 14 });
  });

  it.each([
    [{ HERALD_TRANSPORT: "sse-api" }, "HERALD_TRANSPORT"],
    [{ HERALD_MAX_SEND_RATE: "fast" }, "HERALD_MAX_SEND_RATE"],
    [{ HERALD_MAX_SEND_RATE: "0" }, "HERALD_MAX_SEND_RATE"],
    // A ring buffer of a billion slots would take the container down at start.
    [{ HERALD_MAX_SEND_RATE: "1e9" }, "HERALD_MAX_SEND_RATE"],
    // One email every 31 years: the limiter's wait would overflow setTimeout.
    [{ HERALD_MAX_SEND_RATE: "0.000000001" }, "HERALD_MAX_SEND_RATE"],
    [{ HERALD_MAX_SEND_RATE: "0x10" }, "HERALD_MAX_SEND_RATE"],
    [{ HERALD_MAX_SEND_RATE: "Infinity" }, "HERALD_MAX_SEND_RATE"],
  ])("rejects %o naming the variable", (env, name) => {
    expect(() => runtimeConfigFrom(env)).toThrow(RuntimeConfigError);
    expect(() => runtimeConfigFrom(env)).toThrow(name);
  });

  it.each([
    [{ AWS_ENDPOINT_URL: "not a url" }, "AWS_ENDPOINT_URL"],
    [{ AWS_ENDPOINT_URL_SESV2: "localhost:8005" }, "AWS_ENDPOINT_URL_SESV2"],
    [{ AWS_ENDPOINT_URL_DYNAMODB: "ftp://127.0.0.1:8000" }, "AWS_ENDPOINT_URL_DYNAMODB"],
  ])("refuses the endpoint %o at start, naming the variable (not at the first send)", (env, name) => {
    expect(() => createRuntime({ env, mode: "cli" })).toThrow(RuntimeConfigError);
    expect(() => createRuntime({ env, mode: "cli" })).toThrow(name);
  });

  it("handles unknown outcomes at least once by default, and refuses a policy it does not know", () => {
    expect(runtimeConfigFrom({}).unknownOutcome).toBe("at-least-once");
    expect(runtimeConfigFrom({ HERALD_UNKNOWN_OUTCOME: "at-most-once" }).unknownOutcome).toBe("at-most-once");
    expect(() => runtimeConfigFrom({ HERALD_UNKNOWN_OUTCOME: "never" })).toThrow(/HERALD_UNKNOWN_OUTCOME/);
  });

  it("makes one attempt per SES call: the SDK never resends a SendEmail SES may have stored", async () => {
    const runtime = createRuntime({ env: { AWS_REGION: "eu-west-1" }, clients: { SESV2: SESv2Client } });
    expect(await runtime.ses().config.maxAttempts()).toBe(1);
    await runtime.close();
  });

  it("builds clients without the SDK's logger middleware (it filters every input to log it nowhere)", async () => {
    const runtime = createRuntime({
      env: { AWS_REGION: "eu-west-1" },
      clients: { SESV2: SESv2Client, SQS: SQSClient },
    });
    for (const client of [runtime.ses(), runtime.sqs()]) {
      const names = client.middlewareStack.identify().join("\n");
      expect(names).toContain("httpSigningMiddleware");
      expect(names).not.toContain("loggerMiddleware");
    }
    await runtime.close();
  });

  it("refuses to guess a region: no AWS_REGION is a RuntimeConfigError, never us-east-1", () => {
    const runtime = createRuntime({ env: {}, mode: "cli", clients: { SESV2: SESv2Client } });
    expect(() => runtime.ses()).toThrow(RuntimeConfigError);
    expect(() => runtime.ses()).toThrow(/AWS_REGION/);
    expect(() => createRuntime({ env: { HERALD_TRANSPORT: "ses-api" }, mode: "cli" })).toThrow(
      /no AWS region.*AWS_REGION/,
    );
    // AWS_DEFAULT_REGION is the SDK's other name for it
    const fromDefault = createRuntime({
      env: { AWS_DEFAULT_REGION: "eu-west-2" },
      clients: { SESV2: SESv2Client },
    });
    expect(fromDefault.region).toBe("eu-west-2");
  });

  it("reads the table, dead-letter queue and configuration set", () => {
    expect(
      runtimeConfigFrom({
        HERALD_TABLE_NAME: "t",
        HERALD_DEAD_LETTER_QUEUE_URL: "https://sqs/dlq",
        HERALD_CONFIGURATION_SET: "cs",
        HERALD_MAX_SEND_RATE: "2.5",
      }),
    ).toMatchObject({
      tableName: "t",
      deadLetterQueueUrl: "https://sqs/dlq",
      configurationSet: "cs",
      maxSendRate: 2.5,
    });
  });
});

describe("runtime", () => {
  let ses: LocalSes;
  beforeAll(async () => {
    ses = await startLocalSes();
  });
  afterAll(async () => {
    await ses.close();
  });

  it("sends through the SES API at the endpoint its own environment names", async () => {
    await ses.clear();
    const runtime = createRuntime({
      env: { ...CREDENTIALS, HERALD_TRANSPORT: "ses-api", AWS_ENDPOINT_URL_SESV2: ses.endpoint },
      mode: "cli",
    });
    const { settings } = await runtime.loadSettings();
    const transport = runtime.transport(settings);
    expect(transport.kind).toBe("ses-api");
    const outcome = await transport.send(
      await composeMessage(settings, { to: ["a@example.com"], subject: "From the runtime", text: "hi" }),
    );
    await runtime.close();
    expect(outcome.ok).toBe(true);
    expect((await ses.emails()).map((e) => e.subject)).toEqual(["From the runtime"]);
  });

  it("keeps one transport while the settings stay the same and replaces it when they change", async () => {
    const runtime = createRuntime({ env: { HERALD_TRANSPORT: "smtp" }, mode: "cli" });
    const { settings } = await runtime.loadSettings();
    const first = runtime.transport(settings);
    expect(runtime.transport(structuredClone(settings))).toBe(first);
    const { settings: changed } = await runtime.loadSettings({ EmailSettings: { SMTPPort: "2525" } });
    expect(runtime.transport(changed)).not.toBe(first);
    await runtime.close();
  });

  it("replaces the transport when SiteURL changes: its host is the EHLO name", async () => {
    const runtime = createRuntime({ env: { HERALD_TRANSPORT: "smtp" }, mode: "cli" });
    const { settings } = await runtime.loadSettings();
    const first = runtime.transport(settings);
    const { settings: changed } = await runtime.loadSettings({
      ServiceSettings: { SiteURL: "https://chat.example.com" },
    });
    expect(runtime.transport(changed)).not.toBe(first);
    await runtime.close();
  });

  it("constructs only the clients it was given, and names a missing one", async () => {
    const runtime = createRuntime({
      env: { AWS_REGION: "eu-west-1" },
      serviceName: "herald-feedback",
      clients: { SQS: SQSClient },
    });
    expect(runtime.sqs()).toBeInstanceOf(SQSClient);
    expect(() => runtime.dynamodb()).toThrow(RuntimeConfigError);
    expect(() => runtime.dynamodb()).toThrow("herald-feedback was not built with the DYNAMODB client");
    await runtime.close();
  });

  it("loads the SQS client on first use when it was not given one (a dead letter is rare), and keeps it", async () => {
    const runtime = createRuntime({
      env: { AWS_REGION: "eu-west-1" },
      serviceName: "herald-send-notification",
    });
    expect(() => runtime.sqs()).toThrow("herald-send-notification was not built with the SQS client");
    const loaded = await runtime.loadSqs();
    expect(loaded).toBeInstanceOf(SQSClient);
    expect(await runtime.loadSqs()).toBe(loaded);
    expect(runtime.sqs()).toBe(loaded);
    await runtime.close();
  });

  it("reads settings from the config file it was given and the MM_* variables of its environment", async () => {
    const runtime = createRuntime({
      env: { MM_EMAILSETTINGS_SMTPPORT: "2587" },
      configFile: "examples/mattermost-config.json",
      mode: "cli",
    });
    const loaded = await runtime.loadSettings();
    await runtime.close();
    expect(loaded.inputErrors).toEqual([]);
    expect(loaded.settings.EmailSettings.SMTPPort).toBe("2587");
    expect(loaded.origins.get("EmailSettings.SMTPPort")?.source).toBe("env");
  });
});
