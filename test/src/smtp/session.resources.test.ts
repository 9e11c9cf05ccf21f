// Nothing of a session outlives its report: no socket, no timer, success or failure, even
// against servers that keep their side of the connection open.
import { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { composeTestEmail } from "../../../src/mail/test-email.ts";
import { loadSettings } from "../../../src/settings/load.ts";
import { runSmtpSession } from "../../../src/smtp/session.ts";
import { ioUntil } from "../../helpers/fake-clock.ts";
import {
  startSilentServer,
  startSmtpServer,
  startStallAfterEhloServer,
  startStallInDataServer,
  startStallInStarttlsHandshakeServer,
  startTricklingEhloServer,
  type TestSmtpServer,
} from "../../helpers/smtp-servers.ts";

let server: TestSmtpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Active timers (ref'd: the ones that keep a process alive). */
function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((type) => type === "Timeout").length;
}

/**
 * Open sockets of this process connected to `port`: the client's side of a session (the
 * server's side has the port as its local one). getActiveResourcesInfo() only names types, and
 * these servers keep their own side open, so the handles themselves are needed to tell them apart.
 */
function clientSocketsTo(port: number): Socket[] {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter((handle): handle is Socket => handle instanceof Socket && handle.remotePort === port);
}

const CASES: Array<{
  name: string;
  start: () => Promise<TestSmtpServer>;
  security: "" | "STARTTLS" | "TLS";
  ok: boolean;
}> = [
  { name: "a delivered message", start: () => startSmtpServer({ starttls: false }), security: "", ok: true },
  {
    name: "a delivered message over STARTTLS",
    start: () => startSmtpServer(),
    security: "STARTTLS",
    ok: true,
  },
  {
    name: "a delivered message over implicit TLS",
    start: () => startSmtpServer({ secure: true }),
    security: "TLS",
    ok: true,
  },
  { name: "no greeting", start: startSilentServer, security: "", ok: false },
  { name: "a stall after EHLO", start: startStallAfterEhloServer, security: "", ok: false },
  { name: "a stall in DATA", start: startStallInDataServer, security: "", ok: false },
  { name: "a trickling EHLO reply", start: () => startTricklingEhloServer(300), security: "", ok: false },
  {
    name: "a stalled STARTTLS handshake",
    start: startStallInStarttlsHandshakeServer,
    security: "STARTTLS",
    ok: false,
  },
  { name: "a stalled implicit-TLS handshake", start: startSilentServer, security: "TLS", ok: false },
];

describe("a session leaves nothing open", () => {
  it.each(CASES)("after $name", async ({ start, security, ok }) => {
    server = await start();
    const { settings } = await loadSettings({
      env: {
        MM_EMAILSETTINGS_SMTPSERVER: "127.0.0.1",
        MM_EMAILSETTINGS_SMTPPORT: String(server.port),
        MM_EMAILSETTINGS_CONNECTIONSECURITY: security,
        MM_EMAILSETTINGS_SKIPSERVERCERTIFICATEVERIFICATION: "true",
        MM_EMAILSETTINGS_ENABLESMTPAUTH: "false",
        // short for the stalls; the default for sessions that succeed, so a loaded machine's
        // slow TLS handshake cannot time them out
        MM_EMAILSETTINGS_SMTPSERVERTIMEOUT: ok ? "10" : "1",
        MM_EMAILSETTINGS_FEEDBACKEMAIL: "herald@example.com",
      },
      ssm: false,
    });
    const message = await composeTestEmail(settings, "someone@example.com");
    // the previous test's servers are gone with their timers
    await sleep(200);
    const timersBefore = activeTimers();
    const report = await runSmtpSession({ settings, message });
    expect(report.ok).toBe(ok);
    // a destroyed socket's handle is released within a turn of the event loop (one left open
    // would hold this wait until the test's timeout)
    const { port } = server;
    await ioUntil(() => clientSocketsTo(port).length === 0);
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
  });
});
