// The mail transport port's two adapters against real local servers: smtp-server for the
// pooled SMTP adapter, aws-ses-v2-local for the SES v2 adapter.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { composeMessage } from "../../../src/mail/compose.ts";
import { createSesTransport, sesErrorAsSmtp, sesOutcomeUnknown } from "../../../src/mail/ses-transport.ts";
import { createSmtpTransport } from "../../../src/mail/smtp-transport.ts";
import { loadSettings } from "../../../src/settings/load.ts";
import type { HeraldSettings } from "../../../src/settings/model.ts";
import { startLocalSes, type LocalSes } from "../../../sandbox/servers/ses.ts";
import { LOOPBACK, startSmtpServer, startStallInDataServer } from "../../helpers/smtp-servers.ts";

async function settingsFor(email: Record<string, unknown>): Promise<HeraldSettings> {
  const loaded = await loadSettings({
    env: {},
    ssm: false,
    overrides: { EmailSettings: { FeedbackEmail: "notify@example.com", ...email } },
  });
  return loaded.settings;
}

/** This process's sockets connected to `port`: the client's side (the server's has it as its local port). */
function clientSocketsTo(port: number): net.Socket[] {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter(
    (handle): handle is net.Socket => handle instanceof net.Socket && handle.remotePort === port,
  );
}

async function message(settings: HeraldSettings, to: string[]) {
  return composeMessage(settings, { to, subject: "Hello", text: "body" });
}

describe("pooled SMTP transport", () => {
  it("delivers over STARTTLS with AUTH and reuses one connection for several messages", async () => {
    const server = await startSmtpServer({ auth: { username: "user", password: "s3cret-pass" } });
    try {
      const settings = await settingsFor({
        SMTPServer: LOOPBACK,
        SMTPPort: String(server.port),
        ConnectionSecurity: "STARTTLS",
        SkipServerCertificateVerification: true,
        SMTPUsername: "user",
        SMTPPassword: "s3cret-pass",
      });
      const transport = createSmtpTransport({ settings, maxConnections: 1 });
      const outcomes = [];
      for (const to of ["a@example.com", "b@example.com", "c@example.com"]) {
        outcomes.push(await transport.send(await message(settings, [to])));
      }
      await transport.close();
      expect(outcomes.map((o) => o.ok)).toEqual([true, true, true]);
      expect(outcomes[0]?.accepted).toEqual(["a@example.com"]);
      expect(server.messages.map((m) => [m.to, m.secure, m.authUser])).toEqual([
        [["a@example.com"], true, "user"],
        [["b@example.com"], true, "user"],
        [["c@example.com"], true, "user"],
      ]);
      expect(server.connections).toBe(1);
    } finally {
      await server.close();
    }
  });

  it("over SES SMTP, carries the configuration set and the message tags as SES's headers", async () => {
    const server = await startSmtpServer({ starttls: false });
    try {
      const settings = await settingsFor({ SMTPServer: LOOPBACK, SMTPPort: String(server.port) });
      const plain = createSmtpTransport({ settings });
      const viaSes = createSmtpTransport({ settings, sesHeaders: { configurationSet: "herald-events" } });
      const rendered = {
        ...(await message(settings, ["x@example.com"])),
        tags: { id: "evt-1", category: "a b" },
      };
      expect((await plain.send(rendered)).ok).toBe(true);
      expect((await viaSes.send(rendered)).ok).toBe(true);
      await Promise.all([plain.close(), viaSes.close()]);
      const [first, second] = server.messages;
      expect(first?.raw).not.toMatch(/^X-SES-/m);
      expect(second?.raw).toMatch(/^X-SES-CONFIGURATION-SET: herald-events\r$/m);
      expect(second?.raw).toMatch(/^X-SES-MESSAGE-TAGS: id=evt-1, category=a_b\r$/m);
      expect(second?.raw).toContain("Subject: Hello");
    } finally {
      await server.close();
    }
  });

  it("classifies a 5xx at RCPT as permanent and a 4xx as retryable", async () => {
    for (const [code, retryable] of [
      [550, false],
      [451, true],
    ] as const) {
      const server = await startSmtpServer({
        starttls: false,
        failAt: { stage: "rcpt", code, message: `${code === 550 ? "5.1.1" : "4.3.0"} no` },
      });
      try {
        const settings = await settingsFor({ SMTPServer: LOOPBACK, SMTPPort: String(server.port) });
        const transport = createSmtpTransport({ settings });
        const outcome = await transport.send(await message(settings, ["x@example.com"]));
        await transport.close();
        expect(outcome).toMatchObject({ ok: false, stage: "rcpt", rejected: ["x@example.com"] });
        expect(outcome.error).toMatchObject({ responseCode: code, retryable });
      } finally {
        await server.close();
      }
    }
  });

  it("stops a server that trickles its reply within three times SMTPServerTimeout", async () => {
    // Greets, then answers EHLO one byte every 300 ms: an idle timer never fires.
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.write("220 trickle ESMTP\r\n");
      socket.once("data", () => {
        const reply = "250-trickle\r\n".repeat(1000);
        let i = 0;
        const timer = setInterval(() => {
          if (socket.destroyed || i >= reply.length) return clearInterval(timer);
          socket.write(reply[i++] ?? "");
        }, 300);
        socket.on("close", () => clearInterval(timer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const settings = await settingsFor({
        SMTPServer: LOOPBACK,
        SMTPPort: String(port),
        SMTPServerTimeout: 1,
      });
      const transport = createSmtpTransport({ settings });
      const started = performance.now();
      const outcome = await transport.send(await message(settings, ["x@example.com"]));
      const elapsed = performance.now() - started;
      await transport.close();
      expect(outcome.ok).toBe(false);
      expect(outcome.error).toMatchObject({ code: "ETIMEDOUT", retryable: true });
      expect(elapsed).toBeGreaterThan(2500);
      expect(elapsed).toBeLessThan(4500);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("refuses what the settings rules forbid, before connecting: credentials in clear text", async () => {
    const server = await startSmtpServer({ starttls: false });
    try {
      const settings = await settingsFor({
        SMTPServer: LOOPBACK,
        SMTPPort: String(server.port),
        ConnectionSecurity: "",
        EnableSMTPAuth: true,
        SMTPUsername: "user",
        SMTPPassword: "clear-text-secret",
      });
      const transport = createSmtpTransport({ settings });
      const outcome = await transport.send(await message(settings, ["x@example.com"]));
      await transport.close();
      expect(outcome).toMatchObject({
        ok: false,
        stage: "config",
        error: { code: "ECLEARTEXTAUTH", retryable: false },
      });
      expect(JSON.stringify(outcome)).not.toContain("clear-text-secret");
      expect(server.connections).toBe(0);
    } finally {
      await server.close();
    }
  });

  it("close() during a delivery lets it finish and resolves only once its socket is gone", async () => {
    const server = await startSmtpServer({ starttls: false, afterData: () => 600 });
    try {
      const settings = await settingsFor({ SMTPServer: LOOPBACK, SMTPPort: String(server.port) });
      const transport = createSmtpTransport({ settings });
      const sending = transport.send(await message(settings, ["x@example.com"]));
      await new Promise((resolve) => setTimeout(resolve, 200));
      await transport.close();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(clientSocketsTo(server.port)).toEqual([]);
      expect((await sending).ok).toBe(true);
    } finally {
      await server.close();
    }
  });

  it("close() also waits for and closes a send that starts while it waits: no pool outlives it", async () => {
    let arrived!: () => void;
    const firstArrived = new Promise<void>((resolve) => (arrived = resolve));
    const server = await startSmtpServer({
      onMessage: () => arrived(),
      // holds the first send in flight (after its final dot) while close() waits for it
      afterData: (received) => (received.to[0] === "first@example.com" ? 300 : undefined),
    });
    try {
      const settings = await settingsFor({ SMTPServer: LOOPBACK, SMTPPort: String(server.port) });
      const transport = createSmtpTransport({ settings });
      const [first, second] = [
        await message(settings, ["first@example.com"]),
        await message(settings, ["second@example.com"]),
      ];
      const sendingFirst = transport.send(first);
      await firstArrived;
      const closing = transport.close();
      const sendingSecond = transport.send(second);
      await closing;
      expect([(await sendingFirst).ok, (await sendingSecond).ok]).toEqual([true, true]);
      // every connection of the transport ends: the second send's too
      await vi.waitFor(() => expect(server.openConnections).toBe(0), { timeout: 5000 });
    } finally {
      await server.close();
    }
  });

  it("never stops a transmitted message at its deadline: a slow DATA reply is awaited within the stage timeout", async () => {
    const server = await startSmtpServer({ starttls: false, afterData: () => 600 });
    try {
      const settings = await settingsFor({
        SMTPServer: LOOPBACK,
        SMTPPort: String(server.port),
        SMTPServerTimeout: 2,
      });
      const transport = createSmtpTransport({ settings });
      // the deadline passes while the server holds its reply to the final dot
      const outcome = await transport.send(await message(settings, ["x@example.com"]), {
        deadline: Date.now() + 300,
      });
      await transport.close();
      expect(outcome).toMatchObject({ ok: true, accepted: ["x@example.com"] });
      expect(server.messages).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it("calls a reply that never comes after the final dot an unknown outcome, not a plain failure", async () => {
    const server = await startStallInDataServer();
    try {
      const settings = await settingsFor({
        SMTPServer: LOOPBACK,
        SMTPPort: String(server.port),
        SMTPServerTimeout: 1,
      });
      const transport = createSmtpTransport({ settings });
      const outcome = await transport.send(await message(settings, ["x@example.com"]), {
        deadline: Date.now() + 200,
      });
      await transport.close();
      expect(server.messages).toHaveLength(1);
      expect(outcome).toMatchObject({ ok: false, unknown: true });
      expect(outcome.error).toMatchObject({ code: "ETIMEDOUT" });
    } finally {
      await server.close();
    }
  });

  it("stops a send that has not transmitted its message at its deadline with a retryable EDEADLINE", async () => {
    const server = await startStallInDataServer();
    try {
      const settings = await settingsFor({ SMTPServer: LOOPBACK, SMTPPort: String(server.port) });
      const transport = createSmtpTransport({ settings });
      // already past: nothing may be transmitted
      const outcome = await transport.send(await message(settings, ["x@example.com"]), {
        deadline: Date.now(),
      });
      await transport.close();
      expect(outcome.error).toMatchObject({ code: "EDEADLINE", retryable: true });
      expect(outcome.unknown).toBeUndefined();
      expect(server.messages).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it("splits refusals into temporary (deferred) and permanent (rejected) when others accepted", async () => {
    const server = await startSmtpServer({
      starttls: false,
      recipientReply: (address) =>
        address.startsWith("later")
          ? { code: 451, message: "4.3.0 Try again later" }
          : address.startsWith("never")
            ? { code: 550, message: "5.1.1 No such user" }
            : undefined,
    });
    try {
      const settings = await settingsFor({ SMTPServer: LOOPBACK, SMTPPort: String(server.port) });
      const transport = createSmtpTransport({ settings });
      const outcome = await transport.send(
        await message(settings, ["ok@example.com", "later@example.com", "never@example.com"]),
      );
      await transport.close();
      expect(outcome).toMatchObject({
        ok: true,
        accepted: ["ok@example.com"],
        rejected: ["never@example.com"],
        deferred: ["later@example.com"],
      });
      expect(outcome.deferredReason).toMatch(/451/);
    } finally {
      await server.close();
    }
  });

  it("when every recipient is refused, still tells the temporary refusals from the permanent ones", async () => {
    const server = await startSmtpServer({
      starttls: false,
      recipientReply: (address) =>
        address.startsWith("later")
          ? { code: 452, message: "4.2.2 Mailbox full" }
          : { code: 550, message: "5.1.1 No such user" },
    });
    try {
      const settings = await settingsFor({ SMTPServer: LOOPBACK, SMTPPort: String(server.port) });
      const transport = createSmtpTransport({ settings });
      const outcome = await transport.send(
        await message(settings, ["never@example.com", "later@example.com"]),
      );
      await transport.close();
      expect(outcome).toMatchObject({
        ok: false,
        accepted: [],
        rejected: ["never@example.com"],
        deferred: ["later@example.com"],
      });
      expect(outcome.deferredReason).toMatch(/452/);
    } finally {
      await server.close();
    }
  });

  it("leaves no socket open after close", async () => {
    const server = await startSmtpServer({ starttls: false });
    try {
      const settings = await settingsFor({ SMTPServer: LOOPBACK, SMTPPort: String(server.port) });
      const openSockets = () => process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length;
      await new Promise((resolve) => setTimeout(resolve, 100));
      const before = openSockets();
      const transport = createSmtpTransport({ settings });
      expect((await transport.send(await message(settings, ["x@example.com"]))).ok).toBe(true);
      await transport.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      // Both ends live in this process: the client's socket and smtp-server's.
      expect(openSockets()).toBe(before);
    } finally {
      await server.close();
    }
  });
});

describe("SES v2 transport", () => {
  let ses: LocalSes;
  beforeAll(async () => {
    ses = await startLocalSes();
  });
  afterAll(async () => {
    await ses.close();
  });

  it("sends the rendered message, Bcc included, with the configuration set and tags", async () => {
    await ses.clear();
    const settings = await settingsFor({});
    const transport = createSesTransport({ client: ses.client, configurationSetName: "herald" });
    const rendered = await composeMessage(settings, {
      to: ["to@example.com"],
      bcc: ["hidden@example.com"],
      subject: "Via SES",
      html: "<p>Hello <b>there</b></p>",
    });
    const outcome = await transport.send({ ...rendered, tags: { category: "mention", id: "evt 1" } });
    expect(outcome).toMatchObject({ ok: true, accepted: ["to@example.com", "hidden@example.com"] });
    expect(outcome.providerMessageId).toBeTruthy();
    const [stored] = await ses.emails();
    expect(stored?.subject).toBe("Via SES");
    expect(stored?.body.text).toContain("Hello there");
  });

  it("is a classified, retryable failure when the endpoint is down", async () => {
    const settings = await settingsFor({});
    const { SESv2Client } = await import("@aws-sdk/client-sesv2");
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, LOOPBACK, resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const client = new SESv2Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: "eu-west-1",
      credentials: { accessKeyId: "a", secretAccessKey: "b" },
      maxAttempts: 1,
    });
    const outcome = await createSesTransport({ client }).send(await message(settings, ["x@example.com"]));
    client.destroy();
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.retryable).toBe(true);
    expect(outcome.stage).toBe("connect");
  });

  it.each([
    ["TooManyRequestsException", 429, true],
    ["LimitExceededException", 400, true],
    ["MessageRejected", 400, false],
    ["MailFromDomainNotVerifiedException", 400, false],
    ["AccountSuspendedException", 400, false],
    ["InternalFailure", 500, true],
    ["SomeNewValidationException", 400, false],
  ])("maps %s (HTTP %i) to retryable=%s", async (name, status, retryable) => {
    const { classifySmtpError } = await import("../../../src/smtp/classify.ts");
    const error = Object.assign(new Error("from SES"), { name, $metadata: { httpStatusCode: status } });
    expect(classifySmtpError(sesErrorAsSmtp(error), "data").error.retryable).toBe(retryable);
  });
});

describe("SES v2 transport: throttling the SDK does not name", () => {
  // A real SESv2Client against a loopback endpoint that answers every request with one status.
  async function sendAgainst(status: number, errorType: string) {
    const http = await import("node:http");
    const { SESv2Client } = await import("@aws-sdk/client-sesv2");
    const server = http.createServer((_request, response) => {
      response.writeHead(status, { "content-type": "application/json", "x-amzn-errortype": errorType });
      response.end(JSON.stringify({ message: "slow down" }));
    });
    await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
    const client = new SESv2Client({
      endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
      region: "eu-west-1",
      credentials: { accessKeyId: "a", secretAccessKey: "b" },
      maxAttempts: 1,
    });
    try {
      const settings = await settingsFor({});
      return await createSesTransport({ client }).send(await message(settings, ["x@example.com"]));
    } finally {
      client.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it("an HTTP 429 under a name the adapter does not know is retried, not dead-lettered", async () => {
    const outcome = await sendAgainst(429, "SlowDownException");
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatchObject({ code: "SlowDownException", retryable: true });
    expect(outcome.hint).toMatch(/rate/i);
  });

  it("an HTTP 400 under a name the adapter does not know stays permanent", async () => {
    const outcome = await sendAgainst(400, "SomeNewValidationException");
    expect(outcome.error).toMatchObject({ code: "SomeNewValidationException", retryable: false });
  });
});

describe("sesOutcomeUnknown", () => {
  it.each([
    ["a 500 after the request left", { name: "InternalFailure", $metadata: { httpStatusCode: 500 } }, true],
    ["a timeout", { name: "TimeoutError", message: "timed out" }, true],
    ["a reset connection", { name: "Error", code: "ECONNRESET", message: "read ECONNRESET" }, true],
    ["a refusal (400)", { name: "MessageRejected", $metadata: { httpStatusCode: 400 } }, false],
    ["throttling (429)", { name: "TooManyRequestsException", $metadata: { httpStatusCode: 429 } }, false],
    ["a refused connection", { name: "Error", code: "ECONNREFUSED", message: "connect ECONNREFUSED" }, false],
  ])("%s: %s", (_name, error, unknown) => {
    expect(sesOutcomeUnknown(error)).toBe(unknown);
  });
});
