import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import SMTPConnection from "nodemailer/lib/smtp-connection";
import type {
  SMTPError,
  SentMessageInfo,
  Options as SMTPConnectionOptions,
} from "nodemailer/lib/smtp-connection";
import { afterEach, describe, expect, it } from "vitest";
import { generateTestCertificate } from "../../sandbox/certificate.ts";
import {
  closedPort,
  startSilentServer,
  startSmtpServer,
  startStallAfterEhloServer,
  startStallInDataServer,
  startStallInStarttlsHandshakeServer,
  startTricklingEhloServer,
} from "./smtp-servers.ts";
import { ioUntil } from "./fake-clock.ts";
import type { FailAt, TestSmtpServer } from "./smtp-servers.ts";

const FROM = "sender@herald.test";
const TO = "rcpt@example.test";
const MESSAGE =
  "From: <sender@herald.test>\r\nTo: <rcpt@example.test>\r\nSubject: hello\r\n\r\nbody line\r\n.starts with a dot\r\n";
const CREDENTIALS = { username: "herald", password: "s3cret" };

let servers: TestSmtpServer[] = [];

afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

async function track<T extends TestSmtpServer>(start: Promise<T>): Promise<T> {
  const server = await start;
  servers.push(server);
  return server;
}

interface Attempt {
  /** client options (host 127.0.0.1 and small timeouts are filled in) */
  client?: SMTPConnectionOptions;
  login?: { user: string; pass: string };
}

/**
 * One SMTP session with nodemailer's SMTPConnection: connect, optional login, send one message.
 * Errors of the connect phase only arrive as 'error' events, the others through the callbacks;
 * both end up as the rejection.
 */
function deliver(port: number, attempt: Attempt = {}): Promise<SentMessageInfo> {
  const connection = new SMTPConnection({
    host: "127.0.0.1",
    port,
    connectionTimeout: 1000,
    greetingTimeout: 1000,
    socketTimeout: 1000,
    socketCloseTimeout: 0,
    ...attempt.client,
  });
  return new Promise<SentMessageInfo>((resolve, reject) => {
    connection.on("error", reject);
    const send = (): void =>
      connection.send({ from: FROM, to: [TO] }, MESSAGE, (err, info) => (err ? reject(err) : resolve(info)));
    connection.connect((err) => {
      if (err) {
        reject(err);
      } else if (attempt.login) {
        connection.login(attempt.login, (loginErr) => (loginErr ? reject(loginErr) : send()));
      } else {
        send();
      }
    });
  }).finally(() => connection.close());
}

async function failure(promise: Promise<unknown>): Promise<SMTPError> {
  try {
    await promise;
  } catch (err) {
    return err as SMTPError;
  }
  throw new Error("expected the SMTP session to fail");
}

/** The next complete SMTP reply (up to the line "NNN text") read from a raw socket. */
function reply(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const onData = (chunk: Buffer): void => {
      text += chunk.toString("latin1");
      if (/(^|\n)\d{3} [^\n]*\r\n$/.test(text)) {
        socket.off("data", onData);
        resolve(text);
      }
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });
}

describe("generateTestCertificate", () => {
  it("makes a cached self-signed certificate for localhost and 127.0.0.1 that is valid now", async () => {
    const first = await generateTestCertificate();
    expect(await generateTestCertificate()).toBe(first);
    const x509 = new X509Certificate(first.cert);
    expect(x509.subject).toBe("CN=localhost");
    expect(x509.checkHost("localhost")).toBe("localhost");
    expect(x509.checkIP("127.0.0.1")).toBe("127.0.0.1");
    const now = Date.now();
    expect(new Date(x509.validFrom).getTime()).toBeLessThanOrEqual(now);
    expect(new Date(x509.validTo).getTime()).toBeGreaterThan(now);
    expect(first.key).toContain("PRIVATE KEY");
  });

  it("honours commonName and altNames", async () => {
    const custom = await generateTestCertificate({
      commonName: "mail.herald.test",
      altNames: ["mail.herald.test", "10.0.0.1"],
    });
    const x509 = new X509Certificate(custom.cert);
    expect(x509.subject).toBe("CN=mail.herald.test");
    expect(x509.subjectAltName).toBe("DNS:mail.herald.test, IP Address:10.0.0.1");
  });
});

describe("startSmtpServer", () => {
  it("delivers over STARTTLS with AUTH, verified against the generated certificate", async () => {
    const certificate = await generateTestCertificate();
    const server = await track(startSmtpServer({ auth: CREDENTIALS, certificate }));
    expect(server.host).toBe("127.0.0.1");

    const info = await deliver(server.port, {
      client: { requireTLS: true, tls: { ca: certificate.cert } },
      login: { user: CREDENTIALS.username, pass: CREDENTIALS.password },
    });

    expect(info.accepted).toEqual([TO]);
    expect(server.connections).toBe(1);
    expect(server.messages).toEqual([
      {
        from: FROM,
        to: [TO],
        raw: MESSAGE,
        secure: true,
        authUser: CREDENTIALS.username,
        receivedAt: expect.any(Number),
      },
    ]);
  });

  it("delivers over implicit TLS", async () => {
    const server = await track(startSmtpServer({ secure: true, auth: CREDENTIALS }));
    await deliver(server.port, {
      client: { secure: true, tls: { rejectUnauthorized: false } },
      login: { user: CREDENTIALS.username, pass: CREDENTIALS.password },
    });
    expect(server.messages).toHaveLength(1);
    expect(server.messages[0]).toMatchObject({
      from: FROM,
      to: [TO],
      secure: true,
      authUser: CREDENTIALS.username,
    });
  });

  it("delivers in plaintext without STARTTLS or AUTH and shows the banner", async () => {
    const server = await track(startSmtpServer({ starttls: false, banner: "herald test server" }));
    const socket = connect({ host: "127.0.0.1", port: server.port });
    const greeting = await new Promise<string>((resolve, reject) => {
      socket.once("error", reject);
      socket.once("data", (chunk) => resolve(chunk.toString("latin1")));
    }).finally(() => socket.destroy());
    expect(greeting).toBe("220 smtp.herald.test ESMTP herald test server\r\n");

    await deliver(server.port);
    expect(server.messages).toEqual([
      { from: FROM, to: [TO], raw: MESSAGE, secure: false, receivedAt: expect.any(Number) },
    ]);
  });

  it("refuses STARTTLS entirely when starttls is false", async () => {
    const server = await track(startSmtpServer({ starttls: false }));
    const err = await failure(deliver(server.port, { client: { requireTLS: true } }));
    expect(err.code).toBe("ETLS");
    expect(err.command).toBe("STARTTLS");
    expect(server.messages).toEqual([]);
  });

  it("answers wrong credentials with 535 5.7.8", async () => {
    const server = await track(startSmtpServer({ auth: CREDENTIALS }));
    const err = await failure(
      deliver(server.port, {
        client: { tls: { rejectUnauthorized: false } },
        login: { user: CREDENTIALS.username, pass: "wrong" },
      }),
    );
    expect(err.code).toBe("EAUTH");
    expect(err.responseCode).toBe(535);
    expect(err.response).toBe("535 5.7.8 Authentication credentials invalid");
    expect(server.messages).toEqual([]);
  });

  it("answers MAIL FROM before STARTTLS with 530 when requireStarttls is set", async () => {
    const server = await track(startSmtpServer({ requireStarttls: true }));
    const err = await failure(deliver(server.port, { client: { ignoreTLS: true } }));
    expect(err.code).toBe("EENVELOPE");
    expect(err.command).toBe("MAIL FROM");
    expect(err.responseCode).toBe(530);
    expect(err.response).toBe("530 5.7.0 Must issue a STARTTLS command first");

    // the same server accepts the message once the client upgrades
    await deliver(server.port, { client: { tls: { rejectUnauthorized: false } } });
    expect(server.messages).toHaveLength(1);
    expect(server.messages[0]?.secure).toBe(true);
  });

  const faults: { failAt: FailAt; code: string; command: string }[] = [
    {
      failAt: { stage: "rcpt", code: 554, message: `5.7.1 <${TO}>: Client host rejected: Access denied` },
      code: "EENVELOPE",
      command: "RCPT TO",
    },
    {
      failAt: {
        stage: "rcpt",
        code: 550,
        message: `5.1.1 <${TO}>: Recipient address rejected: User unknown`,
      },
      code: "EENVELOPE",
      command: "RCPT TO",
    },
    {
      failAt: { stage: "rcpt", code: 451, message: "4.7.1 Greylisted, try again later" },
      code: "EENVELOPE",
      command: "RCPT TO",
    },
    {
      failAt: { stage: "mail", code: 451, message: "4.7.1 Greylisted, try again later" },
      code: "EENVELOPE",
      command: "MAIL FROM",
    },
    {
      failAt: { stage: "data", code: 552, message: "5.3.4 Message too big" },
      code: "EMESSAGE",
      command: "DATA",
    },
    {
      failAt: { stage: "mail", code: 421, message: "4.7.0 Try again later, closing connection" },
      code: "EENVELOPE",
      command: "MAIL FROM",
    },
  ];

  for (const { failAt, code, command } of faults) {
    it(`failAt ${failAt.stage} replies ${failAt.code}`, async () => {
      const server = await track(startSmtpServer({ starttls: false, failAt }));
      const err = await failure(deliver(server.port));
      expect(err.code).toBe(code);
      expect(err.command).toBe(command);
      expect(err.responseCode).toBe(failAt.code);
      expect(err.response).toBe(`${failAt.code} ${failAt.message}`);
      expect(server.messages).toEqual([]);
    });
  }

  it("authAfterStarttls offers AUTH only once the connection is encrypted", async () => {
    const server = await track(startSmtpServer({ auth: CREDENTIALS, authAfterStarttls: true }));
    const socket = connect({ host: "127.0.0.1", port: server.port });
    try {
      await reply(socket);
      socket.write("EHLO client.test\r\n");
      const ehlo = await reply(socket);
      expect(ehlo).toMatch(/^250[ -]STARTTLS\r$/m);
      expect(ehlo).not.toContain("AUTH");
    } finally {
      socket.destroy();
    }
    // over TLS it is offered and works
    await deliver(server.port, {
      client: { requireTLS: true, tls: { rejectUnauthorized: false } },
      login: { user: CREDENTIALS.username, pass: CREDENTIALS.password },
    });
    expect(server.messages[0]?.authUser).toBe(CREDENTIALS.username);
  });

  it("close() drops a client that is still connected", async () => {
    const server = await startSmtpServer({ starttls: false });
    // the client's own timers outlast the test: only the server can end this connection in time
    const connection = new SMTPConnection({
      host: "127.0.0.1",
      port: server.port,
      socketTimeout: 3_600_000,
      socketCloseTimeout: 0,
    });
    const closed = new Promise<void>((resolve) => connection.once("end", () => resolve()));
    connection.on("error", () => {});
    await new Promise<void>((resolve) => connection.connect(() => resolve()));
    await server.close();
    await closed;
    await server.close(); // idempotent
  });
});

describe("raw fault servers", () => {
  it("silent server: the client times out waiting for the greeting", async () => {
    const server = await track(startSilentServer());
    const err = await failure(deliver(server.port, { client: { greetingTimeout: 300 } }));
    expect(err.code).toBe("ETIMEDOUT");
    expect(err.timeoutType).toBe("GREETING_TIMEOUT");
    expect(server.connections).toBe(1);
  });

  it("stall-after-EHLO server: the client times out on the socket", async () => {
    const server = await track(startStallAfterEhloServer());
    const err = await failure(deliver(server.port, { client: { socketTimeout: 300 } }));
    expect(err.code).toBe("ETIMEDOUT");
    expect(err.timeoutType).toBe("SOCKET_TIMEOUT");
    expect(server.messages).toEqual([]);
  });

  it("stall-in-DATA server: the message arrives, the final reply never does", async () => {
    const server = await track(startStallInDataServer());
    const err = await failure(deliver(server.port, { client: { socketTimeout: 300 } }));
    expect(err.code).toBe("ETIMEDOUT");
    expect(err.timeoutType).toBe("SOCKET_TIMEOUT");
    expect(server.messages).toEqual([
      { from: FROM, to: [TO], raw: MESSAGE, secure: false, receivedAt: expect.any(Number) },
    ]);
  });

  it("trickling server: the EHLO reply dribbles in for longer than the socket timeout, which never fires", async () => {
    const server = await track(startTricklingEhloServer(20));
    const err = await failure(deliver(server.port, { client: { socketTimeout: 300 } }));
    // 57 bytes, 20 ms apart (over a second), all of them read: the client only sends MAIL FROM
    // after the whole EHLO reply; then MAIL FROM goes unanswered and the socket timeout fires
    expect(server.trickled).toBe(57);
    expect(server.received).toContain("MAIL FROM:");
    expect(err.code).toBe("ETIMEDOUT");
    expect(err.timeoutType).toBe("SOCKET_TIMEOUT");
  });

  it("stall-in-STARTTLS-handshake server: accepts STARTTLS, then the handshake times out", async () => {
    const server = await track(startStallInStarttlsHandshakeServer());
    const err = await failure(
      deliver(server.port, { client: { requireTLS: true, greetingTimeout: 300, connectionTimeout: 300 } }),
    );
    expect(err.code).toBe("ETIMEDOUT");
    expect(err.timeoutType).toBe("UPGRADE_TIMEOUT");
  });

  it("raw servers keep their side open when the client ends its own", async () => {
    const server = await track(startStallAfterEhloServer());
    const socket = connect({ host: "127.0.0.1", port: server.port });
    await reply(socket);
    let ended = false;
    socket.on("end", () => (ended = true));
    socket.end();
    // the server read the client's FIN and kept its own side open (a server that closed its
    // side on FIN would do so in the same turn, and never be counted here)
    await ioUntil(() => server.halfOpen === 1);
    expect(ended).toBe(false);
    expect(server.openConnections).toBe(1);
    socket.destroy();
  });

  it("closed port: the connection is refused", async () => {
    const port = await closedPort();
    // never one a port-0 server could be given meanwhile: below the system's range for those
    const range = await readFile("/proc/sys/net/ipv4/ip_local_port_range", "utf8").catch(() => "49152");
    expect(port).toBeLessThan(Number(range.trim().split(/\s+/)[0]));
    const err = await failure(deliver(port));
    expect(err.code).toBe("ESOCKET");
    expect(err.originalCode).toBe("ECONNREFUSED");
    expect(err.message).toContain("ECONNREFUSED");
  });

  it("close() destroys sockets of clients still waiting", async () => {
    const server = await startSilentServer();
    // client timeouts beyond the test's: the error can only come from close()
    const pending = failure(
      deliver(server.port, { client: { greetingTimeout: 3_600_000, socketTimeout: 3_600_000 } }),
    );
    await ioUntil(() => server.connections > 0);
    await server.close();
    const err = await pending;
    expect(err.code).toBe("ECONNECTION");
  });
});
