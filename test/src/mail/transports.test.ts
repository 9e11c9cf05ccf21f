// The mail transport port's two adapters against real local servers: smtp-server for the
// pooled SMTP adapter, aws-ses-v2-local for the SES v2 adapter.
import net from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { composeMessage, composeParts } from "../../../src/mail/compose.ts";
import { createSesTransport, sesErrorAsSmtp, sesOutcomeUnknown } from "../../../src/mail/ses-transport.ts";
import { createSmtpTransport } from "../../../src/mail/smtp-transport.ts";
import { loadSettings } from "../../../src/settings/load.ts";
import type { HeraldSettings } from "../../../src/settings/model.ts";
import { startLocalSes, type LocalSes } from "../../../sandbox/servers/ses.ts";
import { ioUntil, useFakeClock, watch } from "../../helpers/fake-clock.ts";
import {
  LOOPBACK,
  startSmtpServer,
  startStallInDataServer,
  startTricklingEhloServer,
  heldReply,
} from "../../helpers/smtp-servers.ts";

afterEach(() => {
  vi.useRealTimers();
});

async function settingsFor(email: Record<string, unknown>): Promise<HeraldSettings> {
  const loaded = await loadSettings({
    env: {},
    ssm: false,
    overrides: { EmailSettings: { FeedbackEmail: "notify@example.com", ...email } },
  });
  return loaded.settings;
}

/**
 * This process's open sockets connected to `port`: the client's side (the server's has it as
 * its local port). A destroyed socket's handle lingers until the next turn of the loop.
 */
function clientSocketsTo(port: number): net.Socket[] {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter(
    (handle): handle is net.Socket =>
      handle instanceof net.Socket && handle.remotePort === port && !handle.destroyed,
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

  it("sends the rendered bytes as they are, the envelope by nodemailer's address rules (an IDN domain as its A-label)", async () => {
    // a raw server: it keeps the RCPT TO argument as it came over the wire (smtp-server decodes it)
    const server = await startStallInDataServer();
    try {
      const settings = await settingsFor({
        SMTPServer: LOOPBACK,
        SMTPPort: String(server.port),
        SMTPServerTimeout: 1,
      });
      const transport = createSmtpTransport({ settings });
      // a line starting with a dot is stuffed on the wire and unstuffed by the server
      const rendered = await composeMessage(settings, {
        to: ["anna@bücher.example"],
        subject: "Hello",
        text: "first line\r\n.dot line\r\nlast",
      });
      // the envelope as a round gives it: the event's addresses
      await transport.send({ ...rendered, to: ["anna@bücher.example"] });
      await transport.close();
      expect(server.messages).toHaveLength(1);
      expect(server.messages[0]?.to).toEqual(["anna@xn--bcher-kva.example"]);
      expect(server.messages[0]?.from).toBe("notify@example.com");
      expect(server.messages[0]?.raw).toBe(rendered.raw.toString());
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

  it("resends a message the pool requeues (a reused connection closed before any byte of it) whole, over a new connection", async () => {
    // 421 at RCPT on the reused connection: nodemailer closes it, which destroys the message's
    // stream, and requeues the message (none of it was read) for a new connection
    const server = await startSmtpServer({
      starttls: false,
      recipientFaults: [{ address: "b@example.com", code: 421, message: "4.4.2 closing", times: 1 }],
    });
    try {
      const settings = await settingsFor({
        SMTPServer: LOOPBACK,
        SMTPPort: String(server.port),
        SMTPServerTimeout: 1,
      });
      const transport = createSmtpTransport({ settings, maxConnections: 1 });
      const first = await transport.send(await message(settings, ["a@example.com"]));
      const second = await transport.send(await message(settings, ["b@example.com"]));
      await transport.close();
      expect([first.ok, second.ok]).toEqual([true, true]);
      expect(server.messages.map((m) => [m.to, m.raw.includes("body")])).toEqual([
        [["a@example.com"], true],
        [["b@example.com"], true],
      ]);
      expect(server.connections).toBe(2);
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

  it("stops a server that trickles its reply at three times SMTPServerTimeout, though bytes keep coming", async () => {
    // One byte every 2 s: nodemailer's idle timer never fires, and the 57-byte EHLO reply
    // would outlast the bound. A fake clock, real sockets: 30 s per stage, so 90 s per message.
    const server = await startTricklingEhloServer(2000);
    try {
      const settings = await settingsFor({
        SMTPServer: LOOPBACK,
        SMTPPort: String(server.port),
        SMTPServerTimeout: 30,
      });
      useFakeClock();
      const transport = createSmtpTransport({ settings });
      const sending = watch(transport.send(await message(settings, ["x@example.com"])));
      await ioUntil(() => server.received.includes("EHLO"));
      for (let byte = 1; byte <= 3; byte++) {
        await vi.advanceTimersByTimeAsync(2000);
        await ioUntil(() => server.trickled === byte);
      }
      await vi.advanceTimersByTimeAsync(90_000 - 6000 - 1);
      expect(sending.settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(sending.settled).toBe(true);
      const outcome = await sending.result;
      vi.useRealTimers();
      await transport.close();
      expect(outcome.ok).toBe(false);
      expect(outcome.error).toMatchObject({ code: "ETIMEDOUT", retryable: true });
      expect(outcome.error?.message).toMatch(/within 90 s/);
    } finally {
      vi.useRealTimers();
      await server.close();
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

  it("close() during a delivery lets it finish, then closes its socket", async () => {
    // the server holds its reply to the final dot until the test releases it
    const held = heldReply();
    const server = await startSmtpServer({ starttls: false, afterData: held.hold });
    try {
      const settings = await settingsFor({ SMTPServer: LOOPBACK, SMTPPort: String(server.port) });
      const transport = createSmtpTransport({ settings });
      const sending = watch(transport.send(await message(settings, ["x@example.com"])));
      await held.reached;
      const closing = watch(transport.close());
      // the reply is still held: neither the send nor close() can be over yet
      await ioUntil(() => clientSocketsTo(server.port).length === 1);
      expect(closing.settled || sending.settled).toBe(false);
      held.release();
      await closing.result;
      expect(sending.settled).toBe(true);
      expect((await sending.result).ok).toBe(true);
      // nodemailer destroys the socket a timer tick after close() (socketCloseTimeout 0)
      await ioUntil(() => clientSocketsTo(server.port).length === 0);
    } finally {
      await server.close();
    }
  });

  it("close() also waits for and closes a send that starts while it waits: no pool outlives it", async () => {
    // holds the first send in flight (after its final dot) while close() waits for it
    const held = heldReply();
    const server = await startSmtpServer({
      afterData: (received) => (received.to[0] === "first@example.com" ? held.hold() : undefined),
    });
    try {
      const settings = await settingsFor({ SMTPServer: LOOPBACK, SMTPPort: String(server.port) });
      const transport = createSmtpTransport({ settings });
      const [first, second] = [
        await message(settings, ["first@example.com"]),
        await message(settings, ["second@example.com"]),
      ];
      const sendingFirst = transport.send(first);
      await held.reached;
      const closing = transport.close();
      const sendingSecond = transport.send(second);
      held.release();
      await closing;
      expect([(await sendingFirst).ok, (await sendingSecond).ok]).toEqual([true, true]);
      // every connection of the transport ends: the second send's too
      await ioUntil(() => server.openConnections === 0);
    } finally {
      await server.close();
    }
  });

  it("never stops a transmitted message at its deadline: a slow DATA reply is awaited within the stage timeout", async () => {
    const held = heldReply();
    const server = await startSmtpServer({
      starttls: false,
      afterData: (mail) => (mail.to[0] === "x@example.com" ? held.hold() : undefined),
    });
    try {
      const settings = await settingsFor({
        SMTPServer: LOOPBACK,
        SMTPPort: String(server.port),
        SMTPServerTimeout: 30,
      });
      const transport = createSmtpTransport({ settings, maxConnections: 1 });
      // a first message opens the pooled connection on the real clock (smtp-server greets on a
      // timer of its own); the one under test reuses it on a fake clock
      expect((await transport.send(await message(settings, ["first@example.com"]))).ok).toBe(true);
      useFakeClock();
      const sending = transport.send(await message(settings, ["x@example.com"]), {
        deadline: Date.now() + 300,
      });
      // the deadline passes while the server holds its reply to the final dot
      await held.reached;
      await vi.advanceTimersByTimeAsync(301);
      held.release();
      const outcome = await sending;
      vi.useRealTimers();
      await transport.close();
      expect(outcome).toMatchObject({ ok: true, accepted: ["x@example.com"] });
      expect(server.messages).toHaveLength(2);
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
      const transport = createSmtpTransport({ settings });
      expect((await transport.send(await message(settings, ["x@example.com"]))).ok).toBe(true);
      expect(clientSocketsTo(server.port)).toHaveLength(1);
      await transport.close();
      // Both ends live in this process: the client's socket goes a timer tick after close()
      // (nodemailer's socketCloseTimeout 0), smtp-server's once it reads the client's FIN.
      await ioUntil(() => clientSocketsTo(server.port).length === 0 && server.openConnections === 0);
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

  it("names an internationalized domain by its A-label in the request's addresses (SES takes 7-bit ASCII only)", async () => {
    await ses.clear();
    const settings = await settingsFor({ FeedbackEmail: "notify@bücher.example" });
    const transport = createSesTransport({ client: ses.client });
    const rendered = await composeMessage(settings, {
      to: ["anna@bücher.example"],
      subject: "IDN",
      text: "hi",
    });
    // the pipeline gives its round's recipients as the event spelled them
    const outcome = await transport.send({
      ...rendered,
      from: "notify@bücher.example",
      to: ["anna@bücher.example"],
    });
    expect(outcome).toMatchObject({ ok: true, accepted: ["anna@bücher.example"] });
    const [request] = ses.requests();
    expect(request?.FromEmailAddress).toBe("notify@xn--bcher-kva.example");
    expect(request?.Destination?.ToAddresses).toEqual(["anna@xn--bcher-kva.example"]);
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

describe("SES v2 transport: Simple content SES refuses as malformed", () => {
  // aws-ses-v2-local enforces none of SES's rules for Simple content; a loopback proxy in front
  // of it refuses every Simple request as SES would (400 BadRequestException) and passes Raw on.
  let ses: LocalSes;
  let proxy: import("node:http").Server;
  let endpoint: string;
  let simpleRefusals = 0;
  beforeAll(async () => {
    const http = await import("node:http");
    ses = await startLocalSes();
    proxy = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const body = Buffer.concat(chunks);
        const text = body.toString("utf8");
        // every request naming this configuration set is refused, Simple or Raw
        const refusedAnyway = text.includes('"ConfigurationSetName":"refused-set"');
        if (refusedAnyway || /"Simple"/.test(text)) {
          if (/"Simple"/.test(text)) simpleRefusals += 1;
          response.writeHead(400, {
            "content-type": "application/json",
            "x-amzn-errortype": "BadRequestException",
          });
          response.end(JSON.stringify({ message: "Header List-Id is not allowed" }));
          return;
        }
        const upstream = http.request(
          `${ses.endpoint}${request.url}`,
          { method: request.method, headers: request.headers },
          (reply) => {
            response.writeHead(reply.statusCode ?? 500, reply.headers);
            reply.pipe(response);
          },
        );
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, LOOPBACK, resolve));
    endpoint = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
  });
  afterAll(async () => {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
    await ses.close();
  });

  async function setup(configurationSetName?: string) {
    const { SESv2Client } = await import("@aws-sdk/client-sesv2");
    const client = new SESv2Client({
      endpoint,
      region: "eu-west-1",
      credentials: { accessKeyId: "a", secretAccessKey: "b" },
      maxAttempts: 1,
    });
    const refused: string[] = [];
    const transport = createSesTransport({
      client,
      ...(configurationSetName ? { configurationSetName } : {}),
      onSimpleRefused: (reason) => refused.push(reason),
    });
    const settings = await settingsFor({ FeedbackEmail: "notifications@example.com" });
    const composed = async (to: string) => ({
      ...(await composeParts(settings, {
        to: [to],
        subject: "Refused as Simple",
        html: "<p>Hi</p>",
        headers: { "List-Id": "<mention.notifications.chat.example.com>" },
      })),
      to: [to],
    });
    return { client, transport, refused, composed };
  }

  it("sends the same message as Raw MIME, and every later one without trying Simple again", async () => {
    await ses.clear();
    simpleRefusals = 0;
    const { client, transport, refused, composed } = await setup();
    try {
      const first = await transport.sendComposed!(await composed("a@example.com"));
      const second = await transport.sendComposed!(await composed("b@example.com"));
      expect(first).toMatchObject({ ok: true, accepted: ["a@example.com"] });
      expect(second).toMatchObject({ ok: true, accepted: ["b@example.com"] });
      expect(simpleRefusals).toBe(1);
      expect(refused).toEqual([expect.stringMatching(/List-Id is not allowed/)]);
      const requests = ses.requests();
      expect(requests.map((r) => Object.keys(r.Content))).toEqual([["Raw"], ["Raw"]]);
      const mime = Buffer.from(requests[0]!.Content.Raw!.Data, "base64").toString("utf8");
      expect(mime).toMatch(/^List-Id: <mention\.notifications\.chat\.example\.com>\r$/im);
    } finally {
      client.destroy();
    }
  });

  it("with no room left for a second whole send, is retryable (not unknown, nothing sent); the retry tries Simple, then Raw", async () => {
    await ses.clear();
    simpleRefusals = 0;
    const { client, transport, composed } = await setup();
    try {
      const message = await composed("c@example.com");
      const cut = await transport.sendComposed!(message, { deadline: Date.now() + 2_000 });
      expect(cut).toMatchObject({ ok: false, error: { retryable: true } });
      expect(cut.unknown).toBeUndefined();
      expect(ses.requests()).toHaveLength(0);
      const retried = await transport.sendComposed!(message);
      expect(retried).toMatchObject({ ok: true });
      expect(simpleRefusals).toBe(2);
      expect(ses.requests().map((r) => Object.keys(r.Content))).toEqual([["Raw"]]);
    } finally {
      client.destroy();
    }
  });

  it("keeps Simple content when SES refuses the Raw request too (not refused for being Simple), and says nothing", async () => {
    await ses.clear();
    simpleRefusals = 0;
    const { client, transport, refused, composed } = await setup("refused-set");
    try {
      const first = await transport.sendComposed!(await composed("d@example.com"));
      const second = await transport.sendComposed!(await composed("e@example.com"));
      for (const outcome of [first, second]) {
        expect(outcome).toMatchObject({
          ok: false,
          error: { code: "BadRequestException", retryable: false },
        });
      }
      expect(simpleRefusals).toBe(2);
      expect(refused).toEqual([]);
      expect(ses.requests()).toHaveLength(0);
    } finally {
      client.destroy();
    }
  });
});
