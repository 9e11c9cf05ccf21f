import net from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadSettings } from "../../../src/settings/load.ts";
import { runSmtpSession } from "../../../src/smtp/session.ts";
import { speaksImplicitTls } from "../../../src/smtp/detect-implicit-tls.ts";
import { ioUntil, useFakeClock, watch } from "../../helpers/fake-clock.ts";
import {
  startSilentServer,
  startSmtpServer,
  TLS_HANDSHAKE,
  type TestSmtpServer,
} from "../../helpers/smtp-servers.ts";

let server: TestSmtpServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await server?.close();
  server = undefined;
});

describe("speaksImplicitTls", () => {
  it("is true for an implicit-TLS port", async () => {
    server = await startSmtpServer({ secure: true });
    expect(await speaksImplicitTls("127.0.0.1", server.port, undefined, 2000)).toBe(true);
  });

  it("is false for a plain SMTP port", async () => {
    server = await startSmtpServer();
    expect(await speaksImplicitTls("127.0.0.1", server.port, undefined, 2000)).toBe(false);
  });

  it("gives up when the timeout is up (not 1 ms before) against a server that never answers its ClientHello", async () => {
    const silent = await startSilentServer();
    server = silent;
    useFakeClock();
    const answer = watch(speaksImplicitTls("127.0.0.1", silent.port, undefined, 200));
    await ioUntil(() => silent.received.startsWith(TLS_HANDSHAKE));
    await vi.advanceTimersByTimeAsync(199);
    expect(answer.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(answer.settled).toBe(true);
    expect(await answer.result).toBe(false);
  });

  it("gives up at once when aborted, long before its timeout", async () => {
    const silent = await startSilentServer();
    server = silent;
    useFakeClock();
    const startedAt = Date.now();
    const controller = new AbortController();
    const answer = watch(speaksImplicitTls("127.0.0.1", silent.port, undefined, 10_000, controller.signal));
    await ioUntil(() => silent.received.startsWith(TLS_HANDSHAKE));
    controller.abort();
    // the clock has not moved: only the abort can have ended it
    expect(await answer.result).toBe(false);
    expect(Date.now()).toBe(startedAt);
  });
});

describe("the session's implicit-TLS check", () => {
  // A second connection that talks before the greeting is what a pregreet test (Postfix
  // postscreen on port 25) blocks clients for: never on the STARTTLS ports.
  it.each([
    [2587, 1],
    [0, 2],
  ])(
    "on port %i (0: any other) opens %i connection(s) to a server that does not greet",
    async (port, expected) => {
      const connections: net.Socket[] = [];
      const silent = net.createServer((socket) => {
        connections.push(socket);
        socket.on("error", () => undefined);
      });
      await listenWhenFree(silent, port);
      try {
        const { settings } = await loadSettings({
          env: {},
          overrides: {
            EmailSettings: {
              SMTPServer: "127.0.0.1",
              SMTPPort: String((silent.address() as net.AddressInfo).port),
              ConnectionSecurity: "STARTTLS",
              SkipServerCertificateVerification: true,
              EnableSMTPAuth: false,
              // the shortest whole bound: the check starts after half of it (at most 1 s)
              SMTPServerTimeout: 1,
            },
          },
        });
        const report = await runSmtpSession({ settings, login: false });
        expect(report.ok).toBe(false);
        expect(connections).toHaveLength(expected);
      } finally {
        for (const socket of connections) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
      }
    },
  );
});

/**
 * Listens on `port` (0: any), waiting while another test run on this machine holds a fixed
 * port such as 2587: two `npm test` runs side by side must not fail each other.
 */
async function listenWhenFree(server: net.Server, port: number): Promise<void> {
  for (;;) {
    const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      server.once("error", resolve);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", resolve);
        resolve(undefined);
      });
    });
    if (error === undefined) return;
    if (error.code !== "EADDRINUSE") throw error;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
