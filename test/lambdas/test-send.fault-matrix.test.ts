// The fault matrix of the test-send Lambda: real SMTP servers on 127.0.0.1 (certificates
// generated at test time), the real handler, and its real log lines.
import { afterEach, describe, expect, it, vi } from "vitest";
import { testSendHandler } from "../../lambdas/test-send.ts";
import { clearSsmCache } from "../../src/settings/sources/ssm.ts";
import type { SmtpReport } from "../../src/smtp/report.ts";
import { captureStdout } from "../helpers/capture-stdout.ts";
import {
  closedPort,
  startSilentServer,
  startSmtpServer,
  startStallAfterEhloServer,
  startStallInDataServer,
  type TestSmtpServer,
} from "../helpers/smtp-servers.ts";

const PASSWORD = "Sup3r-Secret-Pa55word";
const USERNAME = "herald-user";

let server: TestSmtpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  vi.unstubAllEnvs();
  clearSsmCache();
});

/** Settings as MM_* environment variables of the function. */
function useSettings(settings: Record<string, string>): void {
  for (const [key, value] of Object.entries({
    SMTPSERVER: "localhost",
    FEEDBACKNAME: "Herald Alerts",
    FEEDBACKEMAIL: "alerts@example.com",
    REPLYTOADDRESS: "support@example.com",
    SMTPSERVERTIMEOUT: "2",
    ...settings,
  })) {
    vi.stubEnv(`MM_EMAILSETTINGS_${key}`, value);
  }
  vi.stubEnv("MM_SERVICESETTINGS_SITEURL", "https://chat.example.com");
  vi.stubEnv("MM_TEAMSETTINGS_SITENAME", "Acme");
}

const withAuth = { ENABLESMTPAUTH: "true", SMTPUSERNAME: USERNAME, SMTPPASSWORD: PASSWORD };
const skipVerify = { SKIPSERVERCERTIFICATEVERIFICATION: "true" };

/** Invoke the handler as the console would; return the report, the logs and the time taken. */
async function invoke(event: unknown = { to: "someone@example.com" }) {
  const started = performance.now();
  const context = { getRemainingTimeInMillis: () => 60_000 } as never;
  const { result, output } = await captureStdout(() => testSendHandler(event, context));
  const elapsed = performance.now() - started;
  expect(JSON.stringify(result)).not.toContain(PASSWORD);
  expect(output).not.toContain(PASSWORD);
  return { report: result as SmtpReport, logs: output, elapsed };
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

interface FaultCase {
  name: string;
  start: () => Promise<TestSmtpServer>;
  settings: Record<string, string>;
  stage: SmtpReport["stage"];
  code?: string;
  responseCode?: number;
  enhancedStatus?: string;
  retryable: boolean;
  hint: RegExp;
  /** at most this long (ms) */
  within?: number;
  /** messages the server saw in full (the stall-in-DATA server never confirms them) */
  received?: number;
}

// Without credentials, EnableSMTPAuth must be turned off: it defaults to true with TLS.
const noAuth = { ENABLESMTPAUTH: "false" };
const tls = (extra: Record<string, string> = {}) => ({
  CONNECTIONSECURITY: "STARTTLS",
  ...skipVerify,
  ...noAuth,
  ...extra,
});

const FAULTS: FaultCase[] = [
  {
    name: "self-signed certificate with verification on",
    start: () => startSmtpServer({ secure: true }),
    settings: { CONNECTIONSECURITY: "TLS", ...noAuth },
    stage: "tls",
    code: "DEPTH_ZERO_SELF_SIGNED_CERT",
    retryable: false,
    hint: /certificate/,
  },
  {
    name: "self-signed certificate with verification on, via STARTTLS",
    start: () => startSmtpServer(),
    settings: { CONNECTIONSECURITY: "STARTTLS", ...noAuth },
    stage: "starttls",
    retryable: false,
    hint: /certificate/,
  },
  {
    name: "wrong password (535)",
    start: () => startSmtpServer({ auth: { username: USERNAME, password: "another-password" } }),
    settings: tls(withAuth),
    stage: "auth",
    code: "EAUTH",
    responseCode: 535,
    enhancedStatus: "5.7.8",
    retryable: false,
    hint: /access key id/,
  },
  {
    name: 'server requires STARTTLS, ConnectionSecurity "" (530)',
    start: () => startSmtpServer({ requireStarttls: true }),
    settings: { CONNECTIONSECURITY: "" },
    stage: "mail",
    responseCode: 530,
    retryable: false,
    hint: /set ConnectionSecurity to "STARTTLS"/,
  },
  {
    name: "STARTTLS configured but not offered (no clear-text fallback)",
    start: () => startSmtpServer({ starttls: false }),
    settings: tls(),
    stage: "starttls",
    retryable: false,
    hint: /never falls back to clear text/,
  },
  {
    name: "TLS configured against a STARTTLS port",
    start: () => startSmtpServer(),
    settings: { CONNECTIONSECURITY: "TLS", ...skipVerify, ...noAuth, SMTPSERVERTIMEOUT: "10" },
    stage: "tls",
    retryable: false,
    hint: /"TLS" \(implicit TLS\) is for ports 465\/2465/,
    within: 3000,
  },
  {
    name: "STARTTLS configured against an implicit-TLS port",
    start: () => startSmtpServer({ secure: true }),
    settings: tls({ SMTPSERVERTIMEOUT: "10" }),
    stage: "greeting",
    code: "ESECURITYMISMATCH",
    retryable: false,
    hint: /"TLS" \(implicit TLS\) is for ports 465\/2465/,
    within: 3000,
  },
  {
    name: "relay refused: 554 5.7.1 Client host rejected",
    start: () =>
      startSmtpServer({
        starttls: false,
        failAt: {
          stage: "rcpt",
          code: 554,
          message: "5.7.1 <someone@example.com>: Client host rejected: Access denied",
        },
      }),
    settings: { CONNECTIONSECURITY: "" },
    stage: "rcpt",
    responseCode: 554,
    enhancedStatus: "5.7.1",
    retryable: false,
    hint: /refuses to relay/,
  },
  {
    name: "unknown recipient: 550 5.1.1",
    start: () =>
      startSmtpServer({
        starttls: false,
        failAt: {
          stage: "rcpt",
          code: 550,
          message: "5.1.1 <someone@example.com>: Recipient address rejected: User unknown",
        },
      }),
    settings: { CONNECTIONSECURITY: "" },
    stage: "rcpt",
    responseCode: 550,
    enhancedStatus: "5.1.1",
    retryable: false,
    hint: /does not exist/,
  },
  {
    name: "greylisting: 451 4.7.1",
    start: () =>
      startSmtpServer({
        starttls: false,
        failAt: { stage: "rcpt", code: 451, message: "4.7.1 Greylisted, please try again later" },
      }),
    settings: { CONNECTIONSECURITY: "" },
    stage: "rcpt",
    responseCode: 451,
    enhancedStatus: "4.7.1",
    retryable: true,
    hint: /temporary/i,
  },
  {
    name: "message too big: 552 at DATA",
    start: () =>
      startSmtpServer({
        starttls: false,
        failAt: { stage: "data", code: 552, message: "5.3.4 Message size exceeds fixed limit" },
      }),
    settings: { CONNECTIONSECURITY: "" },
    stage: "data",
    responseCode: 552,
    enhancedStatus: "5.3.4",
    retryable: false,
    hint: /size/,
  },
  {
    name: "service closing: 421 at MAIL",
    start: () =>
      startSmtpServer({
        starttls: false,
        failAt: { stage: "mail", code: 421, message: "4.7.0 Try again later, closing connection" },
      }),
    settings: { CONNECTIONSECURITY: "" },
    stage: "mail",
    responseCode: 421,
    retryable: true,
    hint: /temporary/i,
  },
  {
    name: "connection refused",
    start: async () => {
      const port = await closedPort();
      return { host: "127.0.0.1", port, messages: [], connections: 0, close: async () => undefined };
    },
    settings: { CONNECTIONSECURITY: "" },
    stage: "connect",
    code: "ECONNREFUSED",
    retryable: true,
    hint: /SMTPServer and SMTPPort/,
    within: 3000,
  },
  {
    name: "a server that never greets",
    start: startSilentServer,
    settings: { CONNECTIONSECURITY: "" },
    stage: "greeting",
    code: "ETIMEDOUT",
    retryable: true,
    hint: /did not answer within SMTPServerTimeout/,
    within: 3000,
  },
  {
    name: "a server that stalls after EHLO",
    start: startStallAfterEhloServer,
    settings: { CONNECTIONSECURITY: "" },
    stage: "mail",
    code: "ETIMEDOUT",
    retryable: true,
    hint: /did not answer within SMTPServerTimeout/,
    within: 3000,
  },
  {
    name: "a server that stalls in DATA",
    start: startStallInDataServer,
    settings: { CONNECTIONSECURITY: "" },
    received: 1,
    stage: "data",
    code: "ETIMEDOUT",
    retryable: true,
    hint: /did not answer within SMTPServerTimeout/,
    within: 3000,
  },
];

describe("test-send: fault matrix", () => {
  it.each(FAULTS)("$name -> $stage", async (fault) => {
    server = await fault.start();
    useSettings({ SMTPPORT: String(server.port), ...fault.settings });
    const { report, logs, elapsed } = await invoke();
    expect(report.ok).toBe(false);
    expect(report.stage).toBe(fault.stage);
    if (fault.code) expect(report.error?.code).toBe(fault.code);
    if (fault.responseCode) expect(report.error?.responseCode).toBe(fault.responseCode);
    if (fault.enhancedStatus) expect(report.error?.enhancedStatus).toBe(fault.enhancedStatus);
    expect(report.error?.retryable).toBe(fault.retryable);
    expect(report.hint).toMatch(fault.hint);
    if (fault.within) expect(elapsed).toBeLessThan(fault.within);
    expect(server.messages).toHaveLength(fault.received ?? 0);
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

  it("invalid settings are refused with their fixes", async () => {
    useSettings({ SMTPPORT: "70000" });
    const { report } = await invoke();
    expect(report).toMatchObject({ ok: false, stage: "config", error: { code: "EINVALIDSETTINGS" } });
    expect(report.error?.message).toContain("EmailSettings.SMTPPort");
  });
});

describe("test-send: the invocation deadline", () => {
  it("stops before the remaining time runs out, with a classified timeout", async () => {
    server = await startStallInDataServer();
    useSettings({ SMTPPORT: String(server.port), CONNECTIONSECURITY: "", SMTPSERVERTIMEOUT: "30" });
    const started = performance.now();
    const context = { getRemainingTimeInMillis: () => 2500 } as never;
    const { result } = await captureStdout(() => testSendHandler({ to: "a@example.com" }, context));
    expect(performance.now() - started).toBeLessThan(2500);
    expect(result).toMatchObject({ ok: false, stage: "data", error: { code: "EDEADLINE", retryable: true } });
    expect(result.hint).toMatch(/before the Lambda invocation timed out/);
  });
});
