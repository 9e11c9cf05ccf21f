/**
 * A loopback SMTP server (smtp-server, clear text, no AUTH) whose RCPT TO and end-of-DATA
 * replies a test scripts per address or message: partial rejections, a 451 once then
 * success, a share of random failures for load tests, or a slow DATA to make two senders
 * overlap. It keeps what it accepted, with each message's Message-ID.
 */
import type { AddressInfo, Socket } from "node:net";
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream } from "smtp-server";

export interface SmtpReply {
  code: number;
  /** the text after the code, e.g. "4.3.0 Try again later" */
  message: string;
}

export interface DeliveredMail {
  from: string;
  to: string[];
  raw: string;
  /** the Message-ID header, "<...>" */
  messageId?: string;
  /** epoch ms when the end of its DATA arrived */
  receivedAt: number;
}

export interface ScriptedSmtpOptions {
  /** the reply to RCPT TO for an address; undefined accepts it */
  rcpt?: (address: string) => SmtpReply | undefined;
  /** the reply after the message's final "."; undefined accepts it */
  data?: (mail: DeliveredMail) => SmtpReply | undefined;
  /** wait this long before answering the end of DATA */
  dataDelayMs?: number;
}

export interface ScriptedSmtpServer {
  host: "127.0.0.1";
  port: number;
  /** messages accepted, in order */
  messages: DeliveredMail[];
  /** RCPT TO commands seen, accepted or not */
  rcptCount: number;
  close(): Promise<void>;
}

function replyError(reply: SmtpReply): Error {
  return Object.assign(new Error(reply.message), { responseCode: reply.code });
}

const MESSAGE_ID = /^Message-ID:\s*(<[^>\r\n]*>)/im;

export async function startScriptedSmtpServer(
  options: ScriptedSmtpOptions = {},
): Promise<ScriptedSmtpServer> {
  const messages: DeliveredMail[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let rcptCount = 0;

  const smtp = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    authOptional: true,
    hideSTARTTLS: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    closeTimeout: 100,
    size: 20 * 1024 * 1024,
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      rcptCount += 1;
      const reply = options.rcpt?.(address.address);
      callback(reply ? replyError(reply) : undefined);
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const mail: DeliveredMail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw,
          receivedAt: Date.now(),
        };
        const messageId = MESSAGE_ID.exec(raw)?.[1];
        if (messageId) mail.messageId = messageId;
        const answer = () => {
          const reply = options.data?.(mail);
          if (reply) return callback(replyError(reply));
          messages.push(mail);
          callback();
        };
        if (!options.dataDelayMs) return answer();
        const timer = setTimeout(() => {
          timers.delete(timer);
          answer();
        }, options.dataDelayMs);
        timers.add(timer);
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
    get rcptCount() {
      return rcptCount;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        smtp.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
