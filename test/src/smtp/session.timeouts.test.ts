// SMTPServerTimeout bounds every stage from its start, against loopback servers that stall or
// dribble (nodemailer's own socket timeout only notices silence). The clock is fake, the
// sockets real: each test waits until the server saw the stage begin, then moves the clock to
// 1 ms before the bound (nothing happens) and to the bound (the stage times out).
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadSettings } from "../../../src/settings/load.ts";
import { runSmtpSession } from "../../../src/smtp/session.ts";
import { ioUntil, useFakeClock, watch } from "../../helpers/fake-clock.ts";
import {
  startSilentServer,
  startStallInStarttlsHandshakeServer,
  startTricklingEhloServer,
  TLS_HANDSHAKE,
  type TestSmtpServer,
} from "../../helpers/smtp-servers.ts";

/**
 * SMTPServerTimeout in seconds: longer than the test may take in real time, so nodemailer's
 * socket idle timer (real time, not faked) cannot fire first on a busy machine.
 */
const TIMEOUT_S = 30;
const TIMEOUT_MS = TIMEOUT_S * 1000;

let server: TestSmtpServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await server?.close();
  server = undefined;
});

async function settingsFor(port: number, env: Record<string, string>) {
  const loaded = await loadSettings({
    env: {
      MM_EMAILSETTINGS_SMTPSERVER: "127.0.0.1",
      MM_EMAILSETTINGS_SMTPPORT: String(port),
      MM_EMAILSETTINGS_SMTPSERVERTIMEOUT: String(TIMEOUT_S),
      MM_EMAILSETTINGS_ENABLESMTPAUTH: "false",
      MM_EMAILSETTINGS_SKIPSERVERCERTIFICATEVERIFICATION: "true",
      ...env,
    },
    ssm: false,
  });
  return loaded.settings;
}

/** Moves the fake clock to 1 ms before `ms` after the stage began (still waiting), then to `ms`. */
async function expectBoundAt(ms: number, session: { readonly settled: boolean }, elapsed = 0) {
  await vi.advanceTimersByTimeAsync(ms - elapsed - 1);
  expect(session.settled).toBe(false);
  await vi.advanceTimersByTimeAsync(1);
  expect(session.settled).toBe(true);
}

describe("SMTPServerTimeout bounds a stage from its start", () => {
  it("an EHLO reply trickling one byte a second: timeout at ehlo when SMTPServerTimeout is up, though bytes keep coming", async () => {
    // 57 bytes a second apart: the whole reply would take longer than the bound (at 500 ms it
    // was whole at 28.5 s, and a busy machine let it through before the 30 s bound)
    const trickling = await startTricklingEhloServer(1000);
    server = trickling;
    const settings = await settingsFor(trickling.port, { MM_EMAILSETTINGS_CONNECTIONSECURITY: "" });
    useFakeClock();
    const session = watch(runSmtpSession({ settings }));
    await ioUntil(() => trickling.received.includes("EHLO"));
    // three bytes arrive, each at a later time than the last: an idle timer would restart
    for (let byte = 1; byte <= 3; byte++) {
      await vi.advanceTimersByTimeAsync(1000);
      await ioUntil(() => trickling.trickled === byte);
    }
    await expectBoundAt(TIMEOUT_MS, session, 3000);
    const report = await session.result;
    expect(report).toMatchObject({
      ok: false,
      stage: "ehlo",
      error: { code: "ETIMEDOUT", retryable: true },
      hint: expect.stringMatching(/SMTPServerTimeout/),
    });
    expect(report.server?.banner).toBe("220 trickle.test ESMTP");
    expect(report.timings?.ehlo).toBe(TIMEOUT_MS);
  });

  it("a TLS handshake that stalls after STARTTLS was accepted: timeout at tls when SMTPServerTimeout is up", async () => {
    const stalling = await startStallInStarttlsHandshakeServer();
    server = stalling;
    const settings = await settingsFor(stalling.port, { MM_EMAILSETTINGS_CONNECTIONSECURITY: "STARTTLS" });
    useFakeClock();
    const session = watch(runSmtpSession({ settings }));
    await ioUntil(() => stalling.received.split("STARTTLS\r\n")[1]?.startsWith(TLS_HANDSHAKE) ?? false);
    await expectBoundAt(TIMEOUT_MS, session);
    const report = await session.result;
    expect(report).toMatchObject({ ok: false, stage: "tls", error: { code: "ETIMEDOUT", retryable: true } });
    // nothing from the unfinished handshake is reported as the session's TLS
    expect(report.server?.tls).toBeUndefined();
    expect(report.timings?.tls).toBe(TIMEOUT_MS);
  });

  it("an implicit-TLS handshake that stalls: timeout at tls when SMTPServerTimeout is up, not connect", async () => {
    const silent = await startSilentServer();
    server = silent;
    const settings = await settingsFor(silent.port, { MM_EMAILSETTINGS_CONNECTIONSECURITY: "TLS" });
    useFakeClock();
    const session = watch(runSmtpSession({ settings }));
    await ioUntil(() => silent.received.startsWith(TLS_HANDSHAKE));
    await expectBoundAt(TIMEOUT_MS, session);
    const report = await session.result;
    expect(report).toMatchObject({ ok: false, stage: "tls", error: { code: "ETIMEDOUT", retryable: true } });
    expect(report.timings?.tls).toBe(TIMEOUT_MS);
  });

  it("the invocation deadline still comes first when it is nearer (EDEADLINE)", async () => {
    const trickling = await startTricklingEhloServer(100);
    server = trickling;
    const settings = await settingsFor(trickling.port, {
      MM_EMAILSETTINGS_CONNECTIONSECURITY: "",
      MM_EMAILSETTINGS_SMTPSERVERTIMEOUT: String(2 * TIMEOUT_S),
    });
    useFakeClock();
    const session = watch(runSmtpSession({ settings, deadline: Date.now() + 700 }));
    await ioUntil(() => trickling.received.includes("EHLO"));
    await expectBoundAt(700, session);
    const report = await session.result;
    expect(report).toMatchObject({ ok: false, stage: "ehlo", error: { code: "EDEADLINE", retryable: true } });
  });
});
