/**
 * Loopback SMTP servers for integration tests.
 *
 * Every server listens on 127.0.0.1 with an ephemeral port and is torn down by `close()`,
 * which destroys any socket still open, so a test never waits for a client to hang up and
 * vitest never hangs on a leftover handle.
 *
 * - startSmtpServer: a well-behaved server built on smtp-server, with TLS / AUTH options and
 *   fault injection at MAIL, RCPT or DATA.
 * - startSilentServer / startStallAfterEhloServer / startStallInDataServer /
 *   startTricklingEhloServer / startStallInStarttlsHandshakeServer: raw node:net servers that
 *   misbehave in ways an SMTP library can't (no greeting, stop answering, answer one byte at a
 *   time, accept STARTTLS and never start the handshake). Like a hung server process they never
 *   react to the client's FIN (half-open sockets stay open until the client destroys its own).
 * - closedPort: a port with nothing listening on it.
 */
import net from "node:net";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import type {
  SMTPServerAddress,
  SMTPServerAuthentication,
  SMTPServerAuthenticationResponse,
  SMTPServerDataStream,
  SMTPServerOptions,
  SMTPServerSession,
} from "smtp-server";
import { generateTestCertificate } from "../../sandbox/certificate.ts";
import type { TestCertificate } from "../../sandbox/certificate.ts";

export const LOOPBACK = "127.0.0.1";

export interface ReceivedMessage {
  /** MAIL FROM address ("" for the null sender) */
  from: string;
  /** RCPT TO addresses in the order accepted */
  to: string[];
  /** the DATA payload as received (dot-unstuffed, without the terminating ".") */
  raw: string;
  /** true when the message came over TLS (implicit TLS or after STARTTLS) */
  secure: boolean;
  /** the username that authenticated, if any */
  authUser?: string;
}

export interface TestSmtpServer {
  host: "127.0.0.1";
  port: number;
  /** messages the server accepted (or, for the stall-in-DATA server, received in full) */
  messages: ReceivedMessage[];
  /** TCP connections accepted so far */
  connections: number;
  /**
   * server-side sockets still open; with the raw servers a client's socket outlives its
   * session unless the client destroys it (absent on a stand-in without a server)
   */
  openConnections?: number;
  /** stops listening and destroys every open socket; idempotent */
  close(): Promise<void>;
}

export type FailStage = "mail" | "rcpt" | "data";

export interface FailAt {
  /** "mail" answers MAIL FROM, "rcpt" answers every RCPT TO, "data" answers the end of the message (after the final ".") */
  stage: FailStage;
  /** reply code, e.g. 554, 550, 451, 552, 421 (421 also closes the connection) */
  code: number;
  /** reply text after the code, e.g. "5.7.1 <a@b>: Client host rejected: Access denied" */
  message: string;
}

export interface SmtpServerOptions {
  /** implicit TLS from the first byte (like port 465) */
  secure?: boolean;
  /** offer STARTTLS (default true when not secure) */
  starttls?: boolean;
  /** refuse MAIL FROM until STARTTLS was done: "530 5.7.0 Must issue a STARTTLS command first" */
  requireStarttls?: boolean;
  /**
   * require AUTH (PLAIN or LOGIN) with these credentials; wrong ones get
   * "535 5.7.8 Authentication credentials invalid". Without it AUTH is not offered at all.
   */
  auth?: { username: string; password: string };
  /** fault injection: reply with this SMTP response at the given stage instead of accepting */
  failAt?: FailAt;
  /** text appended to the greeting: "220 <name> ESMTP <banner>" */
  banner?: string;
  /** TLS key/cert, default generateTestCertificate() */
  certificate?: TestCertificate;
  /**
   * advertise AUTH only once the connection is encrypted (after STARTTLS), as submission servers
   * usually do; smtp-server itself advertises AUTH before TLS too and only refuses to run it
   */
  authAfterStarttls?: boolean;
}

/** the server's name in the greeting and EHLO reply */
export const TEST_SERVER_NAME = "smtp.herald.test";

interface ResponseError extends Error {
  responseCode: number;
}

function smtpError(code: number, message: string): ResponseError {
  const err = new Error(message) as ResponseError;
  err.responseCode = code;
  return err;
}

function addressOf(address: SMTPServerAddress | false | undefined): string {
  return address ? address.address : "";
}

/** Starts a well-behaved (unless told otherwise) SMTP server on 127.0.0.1. */
export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const secure = options.secure ?? false;
  const starttls = options.starttls ?? !secure;
  const usesTls = secure || starttls;
  const certificate = usesTls ? (options.certificate ?? (await generateTestCertificate())) : undefined;
  const { auth, failAt, requireStarttls, authAfterStarttls } = options;

  const messages: ReceivedMessage[] = [];
  const rawSockets = new Set<net.Socket>();
  let connections = 0;

  const disabledCommands = [...(auth ? [] : ["AUTH"]), ...(starttls ? [] : ["STARTTLS"])];
  const serverOptions: SMTPServerOptions = {
    name: TEST_SERVER_NAME,
    logger: false,
    // no reverse DNS of 127.0.0.1: dns.reverse() would ask the configured resolver over the network
    disableReverseLookup: true,
    secure,
    hideSTARTTLS: !starttls,
    // AUTH is only advertised (and required) when credentials are configured
    authOptional: !auth,
    authMethods: ["PLAIN", "LOGIN"],
    // hideSTARTTLS only stops advertising it: a client that sends STARTTLS anyway
    // (nodemailer with requireTLS does) would still get TLS, so disable the command too
    disabledCommands,
    // connections still open at close() are destroyed by us, this only bounds smtp-server's own wait
    closeTimeout: 100,
    // a session's own list replaces the server-wide one: AUTH joins it until TLS is up
    onConnect(session: SMTPServerSession, callback: (err?: Error | null) => void): void {
      if (authAfterStarttls && !secure) session.disabledCommands = [...disabledCommands, "AUTH"];
      callback();
    },
    onSecure(_socket: unknown, session: SMTPServerSession, callback: (err?: Error | null) => void): void {
      session.disabledCommands = undefined;
      callback();
    },
    onAuth(
      credentials: SMTPServerAuthentication,
      _session: SMTPServerSession,
      callback: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void,
    ): void {
      if (auth && credentials.username === auth.username && credentials.password === auth.password) {
        callback(null, { user: credentials.username });
        return;
      }
      callback(smtpError(535, "5.7.8 Authentication credentials invalid"));
    },
    onMailFrom(
      _address: SMTPServerAddress,
      session: SMTPServerSession,
      callback: (err?: Error | null) => void,
    ): void {
      if (requireStarttls && !session.secure) {
        callback(smtpError(530, "5.7.0 Must issue a STARTTLS command first"));
        return;
      }
      if (failAt?.stage === "mail") {
        callback(smtpError(failAt.code, failAt.message));
        return;
      }
      callback();
    },
    onRcptTo(
      _address: SMTPServerAddress,
      _session: SMTPServerSession,
      callback: (err?: Error | null) => void,
    ): void {
      if (failAt?.stage === "rcpt") {
        callback(smtpError(failAt.code, failAt.message));
        return;
      }
      callback();
    },
    onData(
      stream: SMTPServerDataStream,
      session: SMTPServerSession,
      callback: (err?: Error | null) => void,
    ): void {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", (err: Error) => callback(err));
      stream.on("end", () => {
        if (failAt?.stage === "data") {
          callback(smtpError(failAt.code, failAt.message));
          return;
        }
        const user: unknown = session.user;
        const message: ReceivedMessage = {
          from: addressOf(session.envelope.mailFrom),
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw: Buffer.concat(chunks).toString("utf8"),
          secure: session.secure,
        };
        if (typeof user === "string") {
          message.authUser = user;
        }
        messages.push(message);
        callback();
      });
    },
  };
  if (certificate) {
    serverOptions.key = certificate.key;
    serverOptions.cert = certificate.cert;
  }
  if (options.banner !== undefined) {
    serverOptions.banner = options.banner;
  }

  const smtp = new SMTPServer(serverOptions);
  // a client that resets its socket (or fails a TLS handshake) must not crash the test process
  smtp.on("error", () => {});
  smtp.server.on("connection", (socket: net.Socket) => {
    connections += 1;
    rawSockets.add(socket);
    socket.on("error", () => {});
    socket.once("close", () => rawSockets.delete(socket));
  });

  await listen(smtp.server);
  const port = portOf(smtp.server);

  return serverHandle(
    port,
    messages,
    () => connections,
    () => rawSockets.size,
    (done) => smtp.close(done),
    () => {
      // topmost sockets first (a TLS socket before the TCP socket under it)
      for (const connection of smtp.connections) connection._socket.destroy();
      for (const socket of rawSockets) socket.destroy();
    },
  );
}

/**
 * The handle a test gets: `close()` stops listening and destroys every open socket, once,
 * however often it is called.
 */
function serverHandle(
  port: number,
  messages: ReceivedMessage[],
  countConnections: () => number,
  countOpenConnections: () => number,
  stopListening: (done: () => void) => void,
  destroySockets: () => void,
): TestSmtpServer {
  let closing: Promise<void> | undefined;
  return {
    host: LOOPBACK,
    port,
    messages,
    get connections() {
      return countConnections();
    },
    get openConnections() {
      return countOpenConnections();
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        stopListening(() => resolve());
        destroySockets();
      });
      return closing;
    },
  };
}

// ---------------------------------------------------------------------------
// raw node:net fault servers

interface RawServer {
  server: net.Server;
  sockets: Set<net.Socket>;
  messages: ReceivedMessage[];
}

async function startRawServer(
  onSocket: (socket: net.Socket, raw: RawServer) => void,
): Promise<TestSmtpServer> {
  const sockets = new Set<net.Socket>();
  const messages: ReceivedMessage[] = [];
  let connections = 0;
  // allowHalfOpen: a FIN from the client does not make the server end its side
  const server = net.createServer({ allowHalfOpen: true });
  const raw: RawServer = { server, sockets, messages };
  server.on("error", () => {});
  server.on("connection", (socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on("error", () => {});
    socket.once("close", () => sockets.delete(socket));
    onSocket(socket, raw);
  });
  await listen(server);
  const port = portOf(server);

  return serverHandle(
    port,
    messages,
    () => connections,
    () => sockets.size,
    (done) => server.close(() => done()),
    () => {
      for (const socket of sockets) socket.destroy();
    },
  );
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
export function startSilentServer(): Promise<TestSmtpServer> {
  return startRawServer((socket) => {
    // swallow whatever the client sends
    socket.resume();
  });
}

/**
 * Greets "220 stall.test ESMTP", answers EHLO (or HELO) with a normal 250 reply advertising
 * neither STARTTLS nor AUTH, then never answers anything again.
 */
export function startStallAfterEhloServer(): Promise<TestSmtpServer> {
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
export function startStallInDataServer(): Promise<TestSmtpServer> {
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
        raw.messages.push({ from, to, raw: Buffer.from(body, "latin1").toString("utf8"), secure: false });
      }
    });
  });
}

/**
 * Greets at once, then answers EHLO (or HELO) one byte every `intervalMs`: never idle long
 * enough for a socket idle timeout, however long the reply takes as a whole.
 */
export function startTricklingEhloServer(intervalMs = 500): Promise<TestSmtpServer> {
  return startRawServer((socket) => {
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
        socket.write(reply.subarray(sent, ++sent));
      }, intervalMs);
      // the client went away: nothing left to trickle to (the socket itself stays open)
      socket.once("end", () => clearInterval(timer));
      socket.once("close", () => clearInterval(timer));
    });
  });
}

/**
 * Greets, offers STARTTLS, answers it with "220 Ready to start TLS" and then never answers the
 * TLS handshake (the ClientHello is swallowed).
 */
export function startStallInStarttlsHandshakeServer(): Promise<TestSmtpServer> {
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

/** A 127.0.0.1 port with nothing listening on it (bound to port 0, read, closed). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await listen(server);
  const port = portOf(server);
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  return port;
}

// ---------------------------------------------------------------------------

function listen(server: net.Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once("error", onError);
    server.listen(0, LOOPBACK, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

function portOf(server: net.Server): number {
  const address = server.address() as AddressInfo | null;
  if (!address || typeof address === "string") {
    throw new Error("server is not listening on a TCP port");
  }
  return address.port;
}
