// The fault matrix of the test-send Lambda: real SMTP servers on 127.0.0.1 (certificates
// generated at test time), the real handler, and its real log lines.
import { afterEach, describe, expect, it, vi } from "vitest";
import { invokeTestSend, lambdaContext } from "../helpers/lambda.ts";
import type { SmtpReport } from "../../src/smtp/report.ts";
import { captureStdout } from "../helpers/capture-stdout.ts";
import { ioUntil, useFakeClock, watch } from "../helpers/fake-clock.ts";
import {
  FAULTS,
  PASSWORD,
  settingsEnv,
  skipVerify,
  tls,
  USERNAME,
  withAuth,
} from "../helpers/fault-matrix.ts";
import {
  startSmtpServer,
  startStallInDataServer,
  type RawTestServer,
  type TestSmtpServer,
} from "../helpers/smtp-servers.ts";

let server: TestSmtpServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await server?.close();
  server = undefined;
  vi.unstubAllEnvs();
});

/** Settings as MM_* environment variables of the function. */
function useSettings(settings: Record<string, string>): void {
  for (const [name, value] of Object.entries(settingsEnv(settings))) vi.stubEnv(name, value);
}

/** Invoke the handler as the console would; return the report and the logs. */
async function invoke(event: unknown = { to: "someone@example.com" }) {
  const context = lambdaContext(60_000);
  const { result, output } = await captureStdout(() => invokeTestSend(event, context));
  expect(JSON.stringify(result)).not.toContain(PASSWORD);
  expect(output).not.toContain(PASSWORD);
  return { report: result as SmtpReport, logs: output };
}

/**
 * Invokes against a stalling server on a fake clock (the sockets stay real): once the server
 * has seen the conversation reach its stall, the clock moves over the stage bound
 * (SMTPServerTimeout 2 s, the fault matrix's) instead of the test waiting it out.
 */
async function invokeOverStall(stalled: (server: RawTestServer) => boolean) {
  const stalling = server as RawTestServer;
  useFakeClock();
  const invocation = watch(invoke());
  await ioUntil(() => stalled(stalling));
  await vi.advanceTimersByTimeAsync(2000);
  return invocation.result;
}

describe("test-send: success", () => {
  it("STARTTLS + AUTH delivers a message with From, Reply-To, Date and Message-ID", async () => {
    server = await startSmtpServer({
      auth: { username: USERNAME, password: PASSWORD },
      requireStarttls: true,
    });
    useSettings({
      SMTPPORT: String(server.port),
      CONNECTIONSECURITY: "STARTTLS",
      ...withAuth,
      ...skipVerify,
    });
    const { report, logs } = await invoke();
    expect(report).toMatchObject({
      ok: true,
      stage: "done",
      messageId: expect.stringMatching(/^<.+@chat\.example\.com>$/),
    });
    expect(report.server?.tls).toMatchObject({
      protocol: expect.stringMatching(/^TLSv1\.[23]$/),
      authorized: false,
      subject: "localhost",
    });
    expect(report.server?.authMethods).toEqual(expect.arrayContaining(["PLAIN", "LOGIN"]));
    expect(report.server?.banner).toMatch(/^220 /);
    expect(Object.keys(report.timings ?? {})).toEqual(
      expect.arrayContaining(["connect", "greeting", "ehlo", "starttls", "auth", "mail", "rcpt", "data"]),
    );

    expect(server.messages).toHaveLength(1);
    const received = server.messages[0]!;
    expect(received).toMatchObject({
      from: "alerts@example.com",
      to: ["someone@example.com"],
      secure: true,
      authUser: USERNAME,
    });
    expect(received.raw).toMatch(/^From: "?Herald Alerts"? <alerts@example\.com>$/m);
    expect(received.raw).toMatch(/^Reply-To: support@example\.com$/m);
    expect(received.raw).toMatch(/^Date: .+$/m);
    expect(received.raw).toContain(`Message-ID: ${report.messageId}`);
    expect(received.raw).toMatch(/^Subject: \[Acme\] Testing Email Settings$/m);
    expect(received.raw).toContain(`Port: ${server.port}`);
    expect(received.raw).toContain("Connection security: STARTTLS");
    expect(received.raw).not.toContain(PASSWORD);

    const line = JSON.parse(logs.trim().split("\n").pop()!);
    expect(line).toMatchObject({
      level: "INFO",
      event: "test-send.sent",
      ok: true,
      stage: "done",
      service: "herald-test-send",
    });
  });

  it("implicit TLS delivers", async () => {
    server = await startSmtpServer({ secure: true, auth: { username: USERNAME, password: PASSWORD } });
    useSettings({ SMTPPORT: String(server.port), CONNECTIONSECURITY: "TLS", ...withAuth, ...skipVerify });
    const { report } = await invoke();
    expect(report).toMatchObject({ ok: true, stage: "done" });
    expect(report.timings?.starttls).toBeUndefined();
    expect(server.messages[0]?.secure).toBe(true);
  });

  it("clear text delivers (no credentials, loopback)", async () => {
    server = await startSmtpServer({ starttls: false });
    useSettings({ SMTPPORT: String(server.port), CONNECTIONSECURITY: "" });
    const { report } = await invoke();
    expect(report).toMatchObject({ ok: true, stage: "done" });
    expect(report.server?.tls).toBeUndefined();
    expect(server.messages[0]?.secure).toBe(false);
  });

  it("with no `to`, sends to FeedbackEmail", async () => {
    server = await startSmtpServer({ starttls: false });
    useSettings({ SMTPPORT: String(server.port), CONNECTIONSECURITY: "" });
    const { report } = await invoke({});
    expect(report.ok).toBe(true);
    expect(server.messages[0]?.to).toEqual(["alerts@example.com"]);
  });
});

describe("test-send: fault matrix", () => {
  it.each(FAULTS)("$name -> $stage", async (fault) => {
    server = await fault.start();
    useSettings({ SMTPPORT: String(server.port), ...fault.settings });
    const { report, logs } = fault.stalled ? await invokeOverStall(fault.stalled) : await invoke();
    expect(report.ok).toBe(false);
    expect(report.stage).toBe(fault.stage);
    if (fault.code) expect(report.error?.code).toBe(fault.code);
    if (fault.responseCode) expect(report.error?.responseCode).toBe(fault.responseCode);
    if (fault.enhancedStatus) expect(report.error?.enhancedStatus).toBe(fault.enhancedStatus);
    expect(report.error?.retryable).toBe(fault.retryable);
    expect(report.hint).toMatch(fault.hint);
    if (fault.message) expect(report.error?.message).toMatch(fault.message);
    expect(server.messages).toHaveLength(fault.received ?? 0);
    // What the server said before the failure is kept (a server that never greets said nothing).
    if (!["connect", "tls", "greeting"].includes(fault.stage)) expect(report.server?.banner).toMatch(/^220 /);
    const line = JSON.parse(logs.trim().split("\n").pop()!);
    expect(line).toMatchObject({
      event: "test-send.failed",
      ok: false,
      stage: fault.stage,
      code: report.error?.code,
    });
  });
});

describe("test-send: refused before connecting", () => {
  it("credentials in clear text to a host that is not loopback: config stage, no connection or DNS lookup", async () => {
    const { default: dns } = await import("node:dns");
    const lookups = [vi.spyOn(dns, "lookup"), vi.spyOn(dns, "resolve4"), vi.spyOn(dns, "resolve6")];
    useSettings({ SMTPSERVER: "smtp.herald.invalid", SMTPPORT: "587", CONNECTIONSECURITY: "", ...withAuth });
    const { report } = await invoke();
    expect(report).toMatchObject({ ok: false, stage: "config", error: { retryable: false } });
    expect(report.error?.message).toMatch(/ConnectionSecurity/);
    expect(report.hint).toMatch(/STARTTLS/);
    expect(report.timings).toBeUndefined();
    for (const lookup of lookups) expect(lookup).not.toHaveBeenCalled();
    lookups.forEach((lookup) => lookup.mockRestore());
  });

  it("a changed server without a re-entered password is refused (Mattermost's rule)", async () => {
    server = await startSmtpServer({ auth: { username: USERNAME, password: PASSWORD } });
    useSettings({ SMTPPORT: String(server.port), ...tls(withAuth) });
    const { report } = await invoke({
      to: "a@example.com",
      settings: { EmailSettings: { SMTPServer: "127.0.0.1", SMTPPassword: "*".repeat(32) } },
    });
    expect(report).toMatchObject({ ok: false, stage: "config", error: { code: "EPASSWORDREQUIRED" } });
    expect(report.hint).toMatch(/re-enter the SMTP password/i);
    expect(server.connections).toBe(0);
  });

  it("unchanged server with the masked password keeps the saved one", async () => {
    server = await startSmtpServer({ auth: { username: USERNAME, password: PASSWORD } });
    useSettings({ SMTPPORT: String(server.port), ...tls(withAuth) });
    const { report } = await invoke({
      to: "a@example.com",
      settings: { EmailSettings: { FeedbackName: "Changed", SMTPPassword: "*".repeat(32) } },
    });
    expect(report).toMatchObject({ ok: true, stage: "done" });
    expect(server.messages[0]?.raw).toMatch(/^From: "?Changed"? </m);
  });

  it("a changed server with a new password is used", async () => {
    server = await startSmtpServer({ auth: { username: "other", password: "other-password" } });
    useSettings({ SMTPPORT: "2", ...tls(withAuth) });
    const { report } = await invoke({
      to: "a@example.com",
      settings: {
        EmailSettings: {
          SMTPPort: String(server.port),
          SMTPUsername: "other",
          SMTPPassword: "other-password",
        },
      },
    });
    expect(report).toMatchObject({ ok: true, stage: "done" });
  });

  it("an invalid event names the field", async () => {
    const { report } = await invoke({ to: 42 });
    expect(report).toMatchObject({ ok: false, stage: "config", error: { code: "EEVENT" } });
    expect(report.error?.message).toMatch(/^invalid event: to:/);
  });

  it("invalid settings are refused with their rule's code and fixes", async () => {
    useSettings({ SMTPPORT: "70000" });
    const { report } = await invoke();
    expect(report).toMatchObject({ ok: false, stage: "config", error: { code: "EPORT" } });
    expect(report.error?.message).toContain("EmailSettings.SMTPPort");
    expect(report.hint).toMatch(/^Use the submission port/);
  });
});

describe("test-send: the invocation deadline", () => {
  it("stops 1 s before the remaining time runs out, with a classified timeout", async () => {
    const stalling = await startStallInDataServer();
    server = stalling;
    useSettings({ SMTPPORT: String(stalling.port), CONNECTIONSECURITY: "", SMTPSERVERTIMEOUT: "30" });
    // a fake clock (the sockets stay real): the invocation has 2.5 s, its margin is 1 s
    useFakeClock();
    const context = lambdaContext(2500);
    const invocation = watch(captureStdout(() => invokeTestSend({ to: "a@example.com" }, context)));
    // the message's final dot arrived: the session waits in its data stage
    await ioUntil(() => stalling.messages.length === 1);
    await vi.advanceTimersByTimeAsync(1499);
    expect(invocation.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(invocation.settled).toBe(true);
    const { result } = await invocation.result;
    expect(context.getRemainingTimeInMillis()).toBe(1000);
    expect(result).toMatchObject({ ok: false, stage: "data", error: { code: "EDEADLINE", retryable: true } });
    expect(result.hint).toMatch(/before the Lambda invocation timed out/);
  });
});
