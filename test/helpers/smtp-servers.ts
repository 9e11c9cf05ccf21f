/**
 * Loopback SMTP servers for integration tests.
 *
 * Every server listens on 127.0.0.1 with an ephemeral port and is torn down by `close()`,
 * which destroys any socket still open, so a test never waits for a client to hang up and
 * vitest never hangs on a leftover handle.
 *
 * - startSmtpServer: a well-behaved server built on smtp-server, with TLS / AUTH options and
 *   fault injection at MAIL, RCPT (also per recipient) or DATA. It is the sandbox's SMTP server
 *   too: it lives in sandbox/servers/smtp.ts and is re-exported here.
 * - startSilentServer / startStallAfterEhloServer / startStallInDataServer /
 *   startTricklingEhloServer / startStallInStarttlsHandshakeServer: raw node:net servers that
 *   misbehave in ways an SMTP library can't (no greeting, stop answering, answer one byte at a
 *   time, accept STARTTLS and never start the handshake). Like a hung server process they never
 *   react to the client's FIN (half-open sockets stay open until the client destroys its own).
 * - closedPort: a port with nothing listening on it.
 *
 * The raw servers keep what clients sent (`received`) so a test can wait for a point of the
 * conversation (EHLO arrived, a TLS ClientHello arrived) instead of sleeping.
 */
import net from "node:net";
import { listenOnLoopback } from "../../sandbox/servers/listen.ts";
import { serverHandle, type ReceivedMessage, type TestSmtpServer } from "../../sandbox/servers/smtp.ts";

export {
  LOOPBACK,
  startSmtpServer,
  TEST_SERVER_NAME,
  type FailAt,
  type FailStage,
  type ReceivedMessage,
  type RecipientFault,
  type SmtpServerOptions,
  type TestSmtpServer,
} from "../../sandbox/servers/smtp.ts";

// ---------------------------------------------------------------------------
// raw node:net fault servers

/** The first byte of a TLS handshake record: `received` starting with it means a ClientHello came. */
export const TLS_HANDSHAKE = "\x16";

/** A raw fault server: what clients sent so far, to wait on. */
export interface RawTestServer extends TestSmtpServer {
  /** everything clients sent so far, as latin1 (a TLS ClientHello included) */
  readonly received: string;
  /** connections whose client ended its side (FIN) while the server's side stays open */
  readonly halfOpen: number;
}

/** The trickling server: how much of its EHLO reply it has handed to the kernel so far. */
export interface TricklingTestServer extends RawTestServer {
  /** bytes of the EHLO reply written and flushed to the socket */
  readonly trickled: number;
}

interface RawServer {
  server: net.Server;
  sockets: Set<net.Socket>;
  messages: ReceivedMessage[];
}

async function startRawServer(
  onSocket: (socket: net.Socket, raw: RawServer) => void,
): Promise<RawTestServer> {
  const sockets = new Set<net.Socket>();
  const messages: ReceivedMessage[] = [];
  let connections = 0;
  let received = "";
  // allowHalfOpen: a FIN from the client does not make the server end its side
  const server = net.createServer({ allowHalfOpen: true });
  const raw: RawServer = { server, sockets, messages };
  server.on("error", () => {});
  server.on("connection", (socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on("error", () => {});
    socket.once("close", () => sockets.delete(socket));
    socket.on("data", (chunk: Buffer | string) => {
      received += typeof chunk === "string" ? chunk : chunk.toString("latin1");
    });
    onSocket(socket, raw);
  });
  const port = await listenOnLoopback(server);

  const handle = serverHandle(
    port,
    messages,
    () => connections,
    () => sockets.size,
    (done) => server.close(() => done()),
    () => {
      for (const socket of sockets) socket.destroy();
    },
  );
  return Object.defineProperties(handle, {
    received: { get: () => received },
    halfOpen: {
      get: () => [...sockets].filter((s) => s.readableEnded && !s.writableEnded && !s.destroyed).length,
    },
  }) as RawTestServer;
}

/** Calls onLine for every CRLF (or LF) terminated line; onLine returns false to stop line parsing. */
function readLines(socket: net.Socket, onLine: (line: string) => void): void {
  let buffer = "";
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => {
    buffer += chunk;
    let index: number;
    while ((index = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, index).replace(/\r$/, "");
      buffer = buffer.slice(index + 1);
      onLine(line);
    }
  });
}

function verbOf(line: string): string {
  return (line.split(/[\s:]/, 1)[0] ?? "").toUpperCase();
}

/** Accepts TCP connections and never sends a greeting (or anything else). */
export function startSilentServer(): Promise<RawTestServer> {
  return startRawServer((socket) => {
    // swallow whatever the client sends
    socket.resume();
  });
}

/**
 * Greets "220 stall.test ESMTP", answers EHLO (or HELO) with a normal 250 reply advertising
 * neither STARTTLS nor AUTH, then never answers anything again.
 */
export function startStallAfterEhloServer(): Promise<RawTestServer> {
  return startRawServer((socket) => {
    let greeted = false;
    socket.write("220 stall.test ESMTP\r\n");
    readLines(socket, (line) => {
      if (greeted) {
        return;
      }
      const verb = verbOf(line);
      if (verb === "EHLO") {
        greeted = true;
        socket.write("250-stall.test Hello\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n");
      } else if (verb === "HELO") {
        greeted = true;
        socket.write("250 stall.test Hello\r\n");
      } else {
        socket.write("503 5.5.1 Send EHLO first\r\n");
      }
    });
  });
}

/**
 * A normal plaintext conversation (220, EHLO 250, MAIL 250, RCPT 250, DATA 354) that never
 * answers after the final "\r\n.\r\n". The message received in full is still recorded in
 * `messages` (secure: false), so a test can tell "delivered but unacknowledged" apart.
 */
export function startStallInDataServer(): Promise<RawTestServer> {
  return startRawServer((socket, raw) => {
    let from = "";
    let to: string[] = [];
    let state: "command" | "data" | "stalled" = "command";
    // the CRLF that ended the DATA line counts as the start of the terminator "\r\n.\r\n"
    let data = "";
    socket.write("220 stall-data.test ESMTP\r\n");
    socket.setEncoding("latin1");
    let lineBuffer = "";

    /** handles one command line; true when it switched to data mode */
    const onCommand = (line: string): boolean => {
      const verb = verbOf(line);
      switch (verb) {
        case "EHLO":
          from = "";
          to = [];
          socket.write("250-stall-data.test Hello\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n");
          return false;
        case "HELO":
          socket.write("250 stall-data.test Hello\r\n");
          return false;
        case "MAIL":
          from = /<([^>]*)>/.exec(line)?.[1] ?? "";
          to = [];
          socket.write("250 2.1.0 Ok\r\n");
          return false;
        case "RCPT":
          to.push(/<([^>]*)>/.exec(line)?.[1] ?? "");
          socket.write("250 2.1.5 Ok\r\n");
          return false;
        case "DATA":
          state = "data";
          data = "\r\n";
          socket.write("354 End data with <CR><LF>.<CR><LF>\r\n");
          return true;
        case "RSET":
          from = "";
          to = [];
          socket.write("250 2.0.0 Ok\r\n");
          return false;
        case "NOOP":
          socket.write("250 2.0.0 Ok\r\n");
          return false;
        case "QUIT":
          socket.end("221 2.0.0 Bye\r\n");
          return false;
        default:
          socket.write("502 5.5.2 Error: command not recognized\r\n");
          return false;
      }
    };

    socket.on("data", (chunk: string) => {
      if (state === "stalled") {
        return;
      }
      if (state === "data") {
        data += chunk;
      } else {
        lineBuffer += chunk;
        let index: number;
        let enteredData = false;
        while (!enteredData && (index = lineBuffer.indexOf("\n")) >= 0) {
          const line = lineBuffer.slice(0, index).replace(/\r$/, "");
          lineBuffer = lineBuffer.slice(index + 1);
          enteredData = onCommand(line);
        }
        if (!enteredData) {
          return;
        }
        // anything pipelined after DATA is message content
        data += lineBuffer;
        lineBuffer = "";
      }
      const end = data.indexOf("\r\n.\r\n");
      if (end >= 0) {
        state = "stalled";
        const body = data.slice(2, end + 2).replace(/^\.\./gm, ".");
        raw.messages.push({
          from,
          to,
          raw: Buffer.from(body, "latin1").toString("utf8"),
          secure: false,
          receivedAt: Date.now(),
        });
      }
    });
  });
}

/**
 * Greets at once, then answers EHLO (or HELO) one byte every `intervalMs`: never idle long
 * enough for a socket idle timeout, however long the reply takes as a whole.
 */
export async function startTricklingEhloServer(intervalMs = 500): Promise<TricklingTestServer> {
  let trickled = 0;
  const server = await startRawServer((socket) => {
    socket.write("220 trickle.test ESMTP\r\n");
    let answering = false;
    readLines(socket, (line) => {
      if (answering || !["EHLO", "HELO"].includes(verbOf(line))) return;
      answering = true;
      const reply = Buffer.from("250-trickle.test Hello\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n");
      let sent = 0;
      const timer = setInterval(() => {
        if (socket.destroyed || sent >= reply.length) {
          clearInterval(timer);
          return;
        }
        socket.write(reply.subarray(sent, ++sent), () => (trickled += 1));
      }, intervalMs);
      // the client went away: nothing left to trickle to (the socket itself stays open)
      socket.once("end", () => clearInterval(timer));
      socket.once("close", () => clearInterval(timer));
    });
  });
  return Object.defineProperty(server, "trickled", { get: () => trickled }) as TricklingTestServer;
}

/**
 * Greets, offers STARTTLS, answers it with "220 Ready to start TLS" and then never answers the
 * TLS handshake (the ClientHello is swallowed).
 */
export function startStallInStarttlsHandshakeServer(): Promise<RawTestServer> {
  return startRawServer((socket) => {
    let upgrading = false;
    socket.write("220 stall-tls.test ESMTP\r\n");
    readLines(socket, (line) => {
      if (upgrading) return;
      const verb = verbOf(line);
      if (verb === "EHLO") {
        socket.write("250-stall-tls.test Hello\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n");
      } else if (verb === "STARTTLS") {
        upgrading = true;
        socket.write("220 2.0.0 Ready to start TLS\r\n");
      } else {
        socket.write("503 5.5.1 Send EHLO first\r\n");
      }
    });
  });
}

/**
 * A reply to the final dot that a server holds until the test releases it: pass `hold` as the
 * server's `afterData`; `reached` resolves once the server holds a reply (the message was
 * transmitted and kept).
 */
export function heldReply(): { hold: () => Promise<void>; reached: Promise<void>; release: () => void } {
  let reach!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  return {
    reached,
    release,
    hold: () => {
      reach();
      return released;
    },
  };
}

/**
 * Where closedPort looks: below the ports the system hands out for port 0 (Linux 32768-60999,
 * the IANA range from 49152) and above the sandbox's defaults (sandbox/ports.ts).
 */
const CLOSED_PORT_RANGE = { from: 20_000, to: 32_767 } as const;

/**
 * A 127.0.0.1 port with nothing listening on it: one of CLOSED_PORT_RANGE found free (bound,
 * closed). A port-0 port freed the same way could be handed to the next server that asks for
 * one (another test's, another process's), and a silent server there would turn a refused
 * connection into a wait for a timeout.
 */
export async function closedPort(): Promise<number> {
  for (;;) {
    const { from, to } = CLOSED_PORT_RANGE;
    const port = from + Math.floor(Math.random() * (to - from + 1));
    const server = net.createServer();
    const free = await listenOnLoopback(server, port).then(
      () => true,
      () => false,
    );
    if (!free) continue;
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    return port;
  }
}
