import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { loadSettings } from "../../../src/settings/load.ts";
import { runSmtpSession } from "../../../src/smtp/session.ts";
import { speaksImplicitTls } from "../../../src/smtp/detect-implicit-tls.ts";
import { startSilentServer, startSmtpServer, type TestSmtpServer } from "../../helpers/smtp-servers.ts";

let server: TestSmtpServer | undefined;
afterEach(async () => {
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

  it("gives up after the timeout, or at once when aborted", async () => {
    server = await startSilentServer();
    let started = performance.now();
    expect(await speaksImplicitTls("127.0.0.1", server.port, undefined, 200)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
    const controller = new AbortController();
    started = performance.now();
    const answer = speaksImplicitTls("127.0.0.1", server.port, undefined, 10_000, controller.signal);
    setTimeout(() => controller.abort(), 50);
    expect(await answer).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
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
      await new Promise<void>((resolve) => silent.listen(port, "127.0.0.1", resolve));
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
              SMTPServerTimeout: 2,
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
