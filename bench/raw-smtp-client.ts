/**
 * The throughput limit for the SMTP benchmark: a bare SMTP client that pipelines (RFC 2920)
 * over a fixed number of connections and does nothing else (no TLS, no rendering, no
 * bookkeeping). MAIL, every RCPT and DATA go out together; the message's end goes out
 * together with the next message's envelope. Written for the benchmark only; Herald sends
 * with nodemailer.
 *
 * Run as a process (so that it has its own event loop, like `herald send`):
 *   node bench/raw-smtp-client.ts --port P --connections N --messages FILE
 * prints `{"seconds": ..., "cpuMs": ...}` (from the first connection to the last reply).
 */
import { readFileSync } from "node:fs";
import net from "node:net";
import { parseArgs } from "node:util";

export interface RawMessage {
  from: string;
  to: string[];
  /** the message with CRLF line ends */
  raw: string;
}

class ReplyReader {
  private buffer = "";
  private waiting: Array<(code: number) => void> = [];
  private ready: number[] = [];
  private failure: Error | undefined;

  constructor(socket: net.Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf("\r\n")) >= 0) {
        const line = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        // "250-..." continues a reply; "250 ..." ends it.
        if (line[3] === "-") continue;
        const code = Number(line.slice(0, 3));
        const next = this.waiting.shift();
        if (next) next(code);
        else this.ready.push(code);
      }
    });
    const fail = (error: Error) => {
      this.failure = error;
      // a reply that will never come: wake whoever waits for one
      for (const waiter of this.waiting.splice(0)) waiter(0);
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("the connection closed")));
  }

  next(): Promise<number> {
    const code = this.ready.shift();
    if (code !== undefined) return Promise.resolve(code);
    if (this.failure) return Promise.resolve(0);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  get error(): Error | undefined {
    return this.failure;
  }
}

async function expectReply(reader: ReplyReader, wanted: number): Promise<void> {
  const code = await reader.next();
  if (code !== wanted) throw reader.error ?? new Error(`expected ${wanted}, got ${code}`);
}

/** The DATA payload: dot-stuffed, CRLF-terminated, with the final "." line. */
export function dataPayload(raw: string): string {
  const body = raw.replace(/(^|\r\n)\./g, "$1..");
  return `${body}${body.endsWith("\r\n") ? "" : "\r\n"}.\r\n`;
}

function envelope(message: RawMessage): string {
  return [`MAIL FROM:<${message.from}>`, ...message.to.map((to) => `RCPT TO:<${to}>`), "DATA", ""].join(
    "\r\n",
  );
}

async function sendOver(host: string, port: number, messages: RawMessage[]): Promise<void> {
  const socket = net.connect({ host, port });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const reader = new ReplyReader(socket);
  const payloads = messages.map((message) => dataPayload(message.raw));
  try {
    await expectReply(reader, 220);
    socket.write("EHLO bench.localhost\r\n");
    await expectReply(reader, 250);
    if (messages[0]) socket.write(envelope(messages[0]));
    for (const [i, message] of messages.entries()) {
      await expectReply(reader, 250);
      for (let r = 0; r < message.to.length; r++) await expectReply(reader, 250);
      await expectReply(reader, 354);
      const next = messages[i + 1];
      socket.write(payloads[i] + (next ? envelope(next) : "QUIT\r\n"));
      await expectReply(reader, 250);
    }
    if (messages.length === 0) socket.write("QUIT\r\n");
    await expectReply(reader, 221);
  } finally {
    socket.destroy();
  }
}

/** Send every message, spread round-robin over `connections` parallel connections. */
export async function rawPipelinedSend(
  host: string,
  port: number,
  connections: number,
  messages: RawMessage[],
): Promise<void> {
  const shares: RawMessage[][] = Array.from({ length: connections }, () => []);
  messages.forEach((message, index) => shares[index % connections]?.push(message));
  await Promise.all(shares.filter((share) => share.length > 0).map((share) => sendOver(host, port, share)));
}

/**
 * How a benchmark client sends: the messages over `connections` connections to host:port
 * (rendered messages, or what a client renders itself).
 */
export type SmtpClientSend<Message = RawMessage> = (
  host: string,
  port: number,
  connections: number,
  messages: Message[],
) => Promise<void>;

/**
 * A benchmark client's process: reads `--host --port --connections --messages FILE` (a JSON
 * array of what `send` takes), sends
 * through `send` and prints `{"seconds", "cpuMs", "messages"}` from the first send to the last reply.
 */
export async function runSmtpClientProcess<Message = RawMessage>(
  send: SmtpClientSend<Message>,
): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string" },
      connections: { type: "string", default: "5" },
      messages: { type: "string" },
    },
  });
  if (!values.port || !values.messages) throw new Error("--port and --messages FILE are required");
  const messages = JSON.parse(readFileSync(values.messages, "utf8")) as Message[];
  const started = performance.now();
  const cpu = process.cpuUsage();
  await send(values.host, Number(values.port), Number(values.connections), messages);
  const used = process.cpuUsage(cpu);
  console.log(
    JSON.stringify({
      seconds: (performance.now() - started) / 1000,
      cpuMs: (used.user + used.system) / 1000,
      messages: messages.length,
    }),
  );
}

if (import.meta.main) await runSmtpClientProcess(rawPipelinedSend);
