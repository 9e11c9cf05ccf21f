// With HERALD_TRANSPORT=ses-api there are no SMTP settings to test: Test Connection sends
// its email through the SES v2 API, as notifications do (here aws-ses-v2-local).
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { invokeTestSend } from "../helpers/lambda.ts";
import { runHerald } from "../helpers/run-herald.ts";
import { startLocalSes, type LocalSes } from "../../sandbox/servers/ses.ts";

let ses: LocalSes;
beforeAll(async () => {
  ses = await startLocalSes();
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await ses.close();
});

const sesEnv = () => ({
  HERALD_TRANSPORT: "ses-api",
  AWS_ENDPOINT_URL_SESV2: ses.endpoint,
  AWS_REGION: "eu-west-1",
  AWS_ACCESS_KEY_ID: "AKIDLOCAL",
  AWS_SECRET_ACCESS_KEY: "local-secret",
  MM_EMAILSETTINGS_FEEDBACKEMAIL: "notifications@example.com",
  // An SMTP server that does not exist: nothing may try it.
  MM_EMAILSETTINGS_SMTPSERVER: "smtp.invalid",
});

describe("test-send with HERALD_TRANSPORT=ses-api", () => {
  it("the Lambda sends the test email through the SES API", async () => {
    await ses.clear();
    for (const [name, value] of Object.entries(sesEnv())) vi.stubEnv(name, value);
    const report = await invokeTestSend({ to: "you@example.com" });
    vi.unstubAllEnvs();
    expect(report).toMatchObject({ ok: true, stage: "done" });
    const [stored] = await ses.emails();
    expect(stored?.subject).toBe("[Herald] Testing Email Settings");
    expect(stored?.destination.to).toEqual(["you@example.com"]);
  });

  it("SMTP-only settings rules do not block it (TLS with login on and no credentials)", async () => {
    await ses.clear();
    const env = {
      ...sesEnv(),
      MM_EMAILSETTINGS_CONNECTIONSECURITY: "TLS",
      MM_EMAILSETTINGS_ENABLESMTPAUTH: "true",
    };
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    const report = await invokeTestSend({ to: "you@example.com" });
    vi.unstubAllEnvs();
    expect(report).toMatchObject({ ok: true, stage: "done" });
    const result = await runHerald(["test-send", "--to", "you@example.com", "--json"], env);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, stage: "done" });
    expect((await ses.emails()).length).toBe(2);
  });

  it("herald test-send does the same", async () => {
    await ses.clear();
    const result = await runHerald(["test-send", "--to", "you@example.com", "--json"], sesEnv());
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, stage: "done" });
    expect((await ses.emails()).map((e) => e.subject)).toEqual(["[Herald] Testing Email Settings"]);
  });
});
