// SMTPServerTimeout bounds every stage from its start, against loopback servers that stall or
// dribble (nodemailer's own socket timeout only notices silence).
import { afterEach, describe, expect, it } from "vitest";
import { loadSettings } from "../../../src/settings/load.ts";
import { runSmtpSession } from "../../../src/smtp/session.ts";
import {
  startSilentServer,
  startStallInStarttlsHandshakeServer,
  startTricklingEhloServer,
  type TestSmtpServer,
} from "../../helpers/smtp-servers.ts";

let server: TestSmtpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function settingsFor(port: number, env: Record<string, string>) {
  const loaded = await loadSettings({
    env: {
      MM_EMAILSETTINGS_SMTPSERVER: "127.0.0.1",
      MM_EMAILSETTINGS_SMTPPORT: String(port),
      MM_EMAILSETTINGS_SMTPSERVERTIMEOUT: "2",
      MM_EMAILSETTINGS_ENABLESMTPAUTH: "false",
      MM_EMAILSETTINGS_SKIPSERVERCERTIFICATEVERIFICATION: "true",
      ...env,
    },
    ssm: false,
  });
  return loaded.settings;
}

async function timedSession(...args: Parameters<typeof runSmtpSession>) {
  const started = performance.now();
  const report = await runSmtpSession(...args);
  return { report, elapsed: performance.now() - started };
}

describe("SMTPServerTimeout bounds a stage from its start", () => {
  it("an EHLO reply trickling one byte every 500 ms: timeout at ehlo within 3 s", async () => {
    server = await startTricklingEhloServer(500);
    const settings = await settingsFor(server.port, { MM_EMAILSETTINGS_CONNECTIONSECURITY: "" });
    const { report, elapsed } = await timedSession({ settings });
    expect(report).toMatchObject({
      ok: false,
      stage: "ehlo",
      error: { code: "ETIMEDOUT", retryable: true },
      hint: expect.stringMatching(/SMTPServerTimeout/),
    });
    expect(report.server?.banner).toBe("220 trickle.test ESMTP");
    expect(elapsed).toBeGreaterThan(1900);
    expect(elapsed).toBeLessThan(3000);
  });

  it("a TLS handshake that stalls after STARTTLS was accepted: timeout at tls", async () => {
    server = await startStallInStarttlsHandshakeServer();
    const settings = await settingsFor(server.port, { MM_EMAILSETTINGS_CONNECTIONSECURITY: "STARTTLS" });
    const { report, elapsed } = await timedSession({ settings });
    expect(report).toMatchObject({ ok: false, stage: "tls", error: { code: "ETIMEDOUT", retryable: true } });
    // nothing from the unfinished handshake is reported as the session's TLS
    expect(report.server?.tls).toBeUndefined();
    expect(report.timings?.tls).toBeGreaterThan(1500);
    expect(elapsed).toBeLessThan(3000);
  });

  it("an implicit-TLS handshake that stalls: timeout at tls, not connect", async () => {
    server = await startSilentServer();
    const settings = await settingsFor(server.port, { MM_EMAILSETTINGS_CONNECTIONSECURITY: "TLS" });
    const { report, elapsed } = await timedSession({ settings });
    expect(report).toMatchObject({ ok: false, stage: "tls", error: { code: "ETIMEDOUT", retryable: true } });
    expect(report.timings?.tls).toBeGreaterThan(1500);
    expect(elapsed).toBeLessThan(3000);
  });

  it("the invocation deadline still comes first when it is nearer (EDEADLINE)", async () => {
    server = await startTricklingEhloServer(100);
    const settings = await settingsFor(server.port, {
      MM_EMAILSETTINGS_CONNECTIONSECURITY: "",
      MM_EMAILSETTINGS_SMTPSERVERTIMEOUT: "10",
    });
    const { report, elapsed } = await timedSession({ settings, deadline: Date.now() + 700 });
    expect(report).toMatchObject({ ok: false, stage: "ehlo", error: { code: "EDEADLINE", retryable: true } });
    expect(elapsed).toBeLessThan(1500);
  });
});
