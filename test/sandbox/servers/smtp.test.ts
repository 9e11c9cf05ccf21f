// The SMTP server the sandbox and the tests share: per-recipient faults as nodemailer (the
// client Herald uses) sees them, the message callback, and a taken port as a ListenError.
import net from "node:net";
import nodemailer from "nodemailer";
import { afterEach, describe, expect, it } from "vitest";
import { ListenError, listenOnLoopback } from "../../../sandbox/servers/listen.ts";
import { startSmtpServer, type ReceivedMessage, type TestSmtpServer } from "../../../sandbox/servers/smtp.ts";

const servers: TestSmtpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function send(port: number, to: string[], messageId?: string) {
  const transport = nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true });
  try {
    return await transport.sendMail({
      from: "sender@example.com",
      to,
      subject: "hello",
      text: "body",
      ...(messageId ? { messageId } : {}),
    });
  } finally {
    transport.close();
  }
}

describe("startSmtpServer recipientFaults", () => {
  it("refuses one address once (451) and another always (550), case-insensitively; accepts the rest", async () => {
    const seen: ReceivedMessage[] = [];
    const server = await startSmtpServer({
      starttls: false,
      recipientFaults: [
        { address: "Busy@Example.com", code: 451, message: "4.3.0 Mailbox busy", times: 1 },
        { address: "nobody@example.com", code: 550, message: "5.1.1 User unknown" },
      ],
      onMessage: (message) => seen.push(message),
    });
    servers.push(server);

    const first = await send(server.port, ["ok@example.com", "busy@example.com", "NOBODY@example.com"]);
    expect(first.accepted).toEqual(["ok@example.com"]);
    expect(first.rejected.sort()).toEqual(["NOBODY@example.com", "busy@example.com"]);
    const second = await send(server.port, ["busy@example.com", "nobody@example.com"]);
    expect(second.accepted).toEqual(["busy@example.com"]);
    expect(second.rejectedErrors?.[0]).toMatchObject({ responseCode: 550 });

    await expect(send(server.port, ["nobody@example.com"])).rejects.toMatchObject({ responseCode: 550 });
    expect(server.messages.map((m) => m.to)).toEqual([["ok@example.com"], ["busy@example.com"]]);
    expect(seen).toEqual(server.messages);
  });

  it("scripts replies per address and per message through its hooks, and keeps each Message-ID", async () => {
    const server = await startSmtpServer({
      starttls: false,
      recipientReply: (address) =>
        address.startsWith("later") ? { code: 451, message: "4.3.0 Try again later" } : undefined,
      dataReply: (message) =>
        message.messageId === "<busy@herald.test>" ? { code: 451, message: "4.3.0 Queue busy" } : undefined,
    });
    servers.push(server);

    const sent = await send(server.port, ["ok@example.com", "later@example.com"], "<one@herald.test>");
    expect(sent.accepted).toEqual(["ok@example.com"]);
    expect(sent.rejectedErrors?.[0]).toMatchObject({ responseCode: 451 });
    await expect(send(server.port, ["ok@example.com"], "<busy@herald.test>")).rejects.toMatchObject({
      responseCode: 451,
      response: "451 4.3.0 Queue busy",
    });
    // a refused message is not kept
    expect(server.messages).toEqual([
      expect.objectContaining({
        to: ["ok@example.com"],
        messageId: "<one@herald.test>",
        receivedAt: expect.any(Number),
      }),
    ]);
  });

  it("holds its reply to the final dot as long as afterData says, until close()", async () => {
    let release: (() => void) | undefined;
    const kept = new Promise<void>((resolve) => (release = resolve));
    // an hour: only close() can end this wait within the test's time
    const server = await startSmtpServer({
      starttls: false,
      onMessage: () => release?.(),
      afterData: () => 3_600_000,
    });
    servers.push(server);
    const sending = send(server.port, ["ok@example.com"]).then(
      () => "replied",
      (error: { code?: string }) => error.code,
    );
    await kept;
    expect(server.messages).toHaveLength(1);
    await server.close();
    expect(await sending).toBe("ECONNECTION");
  });

  it("reports a taken port as a ListenError with the socket's code", async () => {
    const blocker = net.createServer();
    const port = await listenOnLoopback(blocker);
    try {
      const refusal = await startSmtpServer({ port, starttls: false }).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(ListenError);
      expect(refusal).toMatchObject({ code: "EADDRINUSE", port });
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
