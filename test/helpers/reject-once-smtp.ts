/**
 * A loopback SMTP server (smtp-server) that answers RCPT TO for chosen addresses with a
 * temporary failure the first `times` times, then accepts them: one administrator failing
 * while the others get their mail, and a later run that succeeds.
 */
import type { Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream } from "smtp-server";

export interface ReceivedMail {
  to: string[];
  raw: string;
}

export interface RejectOnceSmtpServer {
  host: "127.0.0.1";
  port: number;
  messages: ReceivedMail[];
  /** RCPT TO refusals sent so far, by address */
  refusals: Map<string, number>;
  close(): Promise<void>;
}

export async function startRejectOnceSmtpServer(options: {
  /** addresses (lower case) to refuse */
  reject: string[];
  /** refusals per address before it is accepted. @default 1 */
  times?: number;
  /** @default 451 4.3.0 "Temporary failure, try again later" */
  reply?: { code: number; message: string };
}): Promise<RejectOnceSmtpServer> {
  const times = options.times ?? 1;
  const reply = options.reply ?? { code: 451, message: "4.3.0 Temporary failure, try again later" };
  const messages: ReceivedMail[] = [];
  const refusals = new Map<string, number>();
  const sockets = new Set<Socket>();

  const smtp = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    authOptional: true,
    hideSTARTTLS: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    closeTimeout: 100,
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const key = address.address.toLowerCase();
      const count = refusals.get(key) ?? 0;
      if (options.reject.includes(key) && count < times) {
        refusals.set(key, count + 1);
        return callback(Object.assign(new Error(reply.message), { responseCode: reply.code }));
      }
      callback();
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        messages.push({
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        callback();
      });
    },
  });
  smtp.on("error", () => {});
  smtp.server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", () => resolve()));
  const { port } = smtp.server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    host: "127.0.0.1",
    port,
    messages,
    refusals,
    close() {
      closing ??= new Promise<void>((resolve) => {
        smtp.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
