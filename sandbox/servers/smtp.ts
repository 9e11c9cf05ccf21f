/**
 * A loopback SMTP server built on smtp-server: the sandbox's SMTP server and the tests' one
 * (test/helpers/smtp-servers.ts re-exports it beside its raw misbehaving servers).
 *
 * It listens on 127.0.0.1 (port 0: any free one) with implicit TLS, STARTTLS (a certificate
 * generated at start) and AUTH as asked, and injects faults: one reply at MAIL, RCPT or DATA
 * for every message, per recipient (a 451 the first time for one address, a 550 always for
 * another), or scripted per address and per message through hooks (a share of random 451s for
 * load tests, a slow reply to the final dot to make two senders overlap, a reset). It keeps what
 * it accepted, with each message's Message-ID and arrival time. `close()` destroys every socket
 * still open and cancels delayed replies, so nothing waits for a client to hang up and no
 * handle outlives it.
 */
import type net from "node:net";
import { SMTPServer } from "smtp-server";
import type {
  SMTPServerAddress,
  SMTPServerAuthentication,
  SMTPServerAuthenticationResponse,
  SMTPServerDataStream,
  SMTPServerOptions,
  SMTPServerSession,
} from "smtp-server";
import { generateTestCertificate, type TestCertificate } from "../certificate.ts";
import { LOOPBACK, listenOnLoopback } from "./listen.ts";

export { LOOPBACK };

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
  /** the Message-ID header, "<...>", if the message has one */
  messageId?: string;
  /** epoch ms when the end of its DATA arrived */
  receivedAt: number;
}

/** An SMTP reply a fault hook answers with instead of accepting. */
export interface SmtpReply {
  /** reply code, e.g. 451 (temporary) or 550 (permanent) */
  code: number;
  /** the text after the code, e.g. "4.3.0 Try again later" */
  message: string;
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
  /** RCPT TO refusals from `recipientFaults` so far, by address (lower case) */
  recipientRefusals?: ReadonlyMap<string, number>;
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

/** A reply to RCPT TO for one address instead of accepting it. */
export interface RecipientFault {
  /** the address it applies to (compared case-insensitively) */
  address: string;
  /** reply code, e.g. 451 (temporary) or 550 (no such user) */
  code: number;
  /** reply text after the code, e.g. "5.1.1 <nobody@example.com>: Recipient address rejected" */
  message: string;
  /** refuse the address this many times, then accept it. @default every time */
  times?: number;
}

export interface SmtpServerOptions {
  /** 127.0.0.1 port; 0 picks a free one. @default 0 */
  port?: number;
  /** the name in the greeting and EHLO reply. @default TEST_SERVER_NAME */
  name?: string;
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
  /** require AUTH and accept the credentials this returns true for (instead of `auth`) */
  authorize?: (username: string, password: string) => boolean;
  /** fault injection: reply with this SMTP response at the given stage instead of accepting */
  failAt?: FailAt;
  /** per-recipient fault injection at RCPT TO (after `failAt`, which applies to everyone) */
  recipientFaults?: RecipientFault[];
  /** text appended to the greeting: "220 <name> ESMTP <banner>" */
  banner?: string;
  /** TLS key/cert, default generateTestCertificate() */
  certificate?: TestCertificate;
  /**
   * advertise AUTH only once the connection is encrypted (after STARTTLS), as submission servers
   * usually do; smtp-server itself advertises AUTH before TLS too and only refuses to run it
   */
  authAfterStarttls?: boolean;
  /** called with each message the server accepted */
  onMessage?: (message: ReceivedMessage) => void;
  /**
   * Fault hook at RCPT TO, asked for each address after `recipientFaults`: a reply to refuse
   * it with (e.g. a share of random 451s), or undefined to accept it.
   */
  recipientReply?: (address: string) => SmtpReply | undefined;
  /**
   * Fault hook after the final dot, before the message is kept: a reply to refuse it with
   * (e.g. a share of "451 queue busy"), or undefined to go on to `afterData`.
   */
  dataReply?: (message: ReceivedMessage) => SmtpReply | undefined;
  /**
   * Fault hook after the final dot, once the message is kept (the server has committed it):
   * "reset" drops the connection with a TCP reset instead of replying, "close" closes it
   * (FIN) without a reply; a number of milliseconds delays the 250 reply; a promise holds it
   * until it settles (a test's barrier); undefined replies at once. (A refusal at the end of
   * DATA, not kept, is `dataReply`.)
   */
  afterData?: (message: ReceivedMessage) => "reset" | "close" | number | Promise<unknown> | undefined;
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

const MESSAGE_ID = /^Message-ID:\s*(<[^>\r\n]*>)/im;

function addressOf(address: SMTPServerAddress | false | undefined): string {
  return address ? address.address : "";
}

/** The RCPT TO reply of each address per the faults, and the refusals so far (for `times`). */
function recipientFaultsFor(faults: RecipientFault[]): {
  reply: (address: string) => ResponseError | undefined;
  refused: ReadonlyMap<string, number>;
} {
  const refused = new Map<string, number>();
  const reply = (address: string): ResponseError | undefined => {
    const key = address.toLowerCase();
    const fault = faults.find((f) => f.address.toLowerCase() === key);
    if (!fault) return undefined;
    const count = refused.get(key) ?? 0;
    if (fault.times !== undefined && count >= fault.times) return undefined;
    refused.set(key, count + 1);
    return smtpError(fault.code, fault.message);
  };
  return { reply, refused };
}

/** Starts a well-behaved (unless told otherwise) SMTP server on 127.0.0.1. */
export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const secure = options.secure ?? false;
  const starttls = options.starttls ?? !secure;
  const usesTls = secure || starttls;
  const certificate = usesTls ? (options.certificate ?? (await generateTestCertificate())) : undefined;
  const { failAt, requireStarttls, authAfterStarttls, onMessage, recipientReply, dataReply, afterData } =
    options;
  const fixed = options.auth;
  const auth =
    options.authorize ??
    (fixed ? (u: string, p: string) => u === fixed.username && p === fixed.password : undefined);
  const recipientFaults = recipientFaultsFor(options.recipientFaults ?? []);

  const messages: ReceivedMessage[] = [];
  const rawSockets = new Set<net.Socket>();
  const delayedReplies = new Set<NodeJS.Timeout>();
  let connections = 0;

  const disabledCommands = [...(auth ? [] : ["AUTH"]), ...(starttls ? [] : ["STARTTLS"])];
  const serverOptions: SMTPServerOptions = {
    name: options.name ?? TEST_SERVER_NAME,
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
      if (auth?.(credentials.username ?? "", credentials.password ?? "")) {
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
      address: SMTPServerAddress,
      _session: SMTPServerSession,
      callback: (err?: Error | null) => void,
    ): void {
      if (failAt?.stage === "rcpt") {
        callback(smtpError(failAt.code, failAt.message));
        return;
      }
      const reply = recipientFaults.reply(address.address) ?? recipientReply?.(address.address);
      callback(
        reply && "responseCode" in reply ? reply : reply ? smtpError(reply.code, reply.message) : undefined,
      );
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
        const raw = Buffer.concat(chunks).toString("utf8");
        const message: ReceivedMessage = {
          from: addressOf(session.envelope.mailFrom),
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw,
          secure: session.secure,
          receivedAt: Date.now(),
        };
        if (typeof user === "string") {
          message.authUser = user;
        }
        const messageId = MESSAGE_ID.exec(raw)?.[1];
        if (messageId) message.messageId = messageId;
        const refusal = dataReply?.(message);
        if (refusal) {
          callback(smtpError(refusal.code, refusal.message));
          return;
        }
        messages.push(message);
        onMessage?.(message);
        const fault = afterData?.(message);
        if (fault === "reset" || fault === "close") {
          for (const connection of smtp.connections) {
            if (connection.id !== session.id) continue;
            if (fault === "reset") connection._socket.resetAndDestroy();
            else connection._socket.destroy();
          }
          return;
        }
        if (fault instanceof Promise) {
          void fault.finally(() => callback());
          return;
        }
        if (typeof fault !== "number") return callback();
        const timer = setTimeout(() => {
          delayedReplies.delete(timer);
          callback();
        }, fault);
        delayedReplies.add(timer);
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
  // a client that resets its socket (or fails a TLS handshake) must not crash the process
  smtp.on("error", () => {});
  smtp.server.on("connection", (socket: net.Socket) => {
    connections += 1;
    rawSockets.add(socket);
    socket.on("error", () => {});
    socket.once("close", () => rawSockets.delete(socket));
  });

  const port = await listenOnLoopback(smtp.server, options.port ?? 0);

  const handle = serverHandle(
    port,
    messages,
    () => connections,
    () => rawSockets.size,
    (done) => smtp.close(done),
    () => {
      for (const timer of delayedReplies) clearTimeout(timer);
      // topmost sockets first (a TLS socket before the TCP socket under it)
      for (const connection of smtp.connections) connection._socket.destroy();
      for (const socket of rawSockets) socket.destroy();
    },
  );
  return Object.assign(handle, { recipientRefusals: recipientFaults.refused });
}

/**
 * The handle a caller gets: `close()` stops listening and destroys every open socket, once,
 * however often it is called.
 */
export function serverHandle(
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
