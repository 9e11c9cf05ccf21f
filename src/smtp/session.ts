import SMTPConnection from "nodemailer/lib/smtp-connection";
import type { OutgoingMessage } from "./message.ts";
import type { HeraldSettings } from "../settings/model.ts";
import { STARTTLS_PORTS } from "../ses/regions.ts";
import { classifySmtpError } from "./classify.ts";
import { configReport } from "./config-report.ts";
import { speaksImplicitTls } from "./detect-implicit-tls.ts";
import { ConnectionClosedError, DeadlineError, SecurityMismatchError } from "./errors.ts";
import { smtpConnectionOptions, stageTimeoutMs } from "./options.ts";
import { checkBeforeConnecting } from "./preflight.ts";
import { redactSecrets } from "./redact.ts";
import type { ServerInfo, SmtpReport } from "./report.ts";
import { describeServer } from "./server-info.ts";
import { StageTimeout } from "./stage-timeout.ts";
import { StageTracker } from "./tracker.ts";

export interface SmtpSessionOptions {
  settings: HeraldSettings;
  /** Log in with SMTPUsername/SMTPPassword. @default settings.EmailSettings.EnableSMTPAuth */
  login?: boolean;
  /**
   * Why this session does not log in (a probe without credentials, or told not to); the report
   * says so as `login: { attempted: false, reason }`. Ignored when `login` is true.
   * @default not reported
   */
  loginSkipped?: string;
  /** Send this message; without it the session is a probe. */
  message?: OutgoingMessage;
  /**
   * Epoch milliseconds by which the whole session must be over (a Lambda's remaining time
   * less a margin). @default no deadline beyond SMTPServerTimeout per stage
   */
  deadline?: number;
}

/**
 * How long to wait for a greeting before checking whether the port speaks implicit TLS.
 * Real servers greet within milliseconds; some delay on purpose (a pregreet test), which is
 * why the check is never made on the STARTTLS ports 25, 587 and 2587.
 */
const IMPLICIT_TLS_CHECK_AFTER_MS = 1000;

/**
 * One SMTP session, as the setup guide's telnet check would do it: connect, greeting, EHLO,
 * STARTTLS, EHLO, AUTH, and optionally one message. Always resolves to a report (never
 * rejects); the password never appears in it. When it resolves, its socket is destroyed and
 * its timers are cleared: nothing of it keeps the process alive.
 */
export async function runSmtpSession(options: SmtpSessionOptions): Promise<SmtpReport> {
  const { settings } = options;
  const login = options.login ?? settings.EmailSettings.EnableSMTPAuth;
  const secrets = [settings.EmailSettings.SMTPPassword];
  const skipped =
    !login && options.loginSkipped
      ? { login: { attempted: false as const, reason: options.loginSkipped } }
      : {};
  const refused = checkBeforeConnecting(settings, login);
  if (refused) return redactSecrets({ ...configReport(refused), ...skipped }, secrets);
  return redactSecrets({ ...(await converse(options, login)), ...skipped }, secrets);
}

/** A session under way: its connection, what it has seen, and the one way it ends. */
interface Session {
  readonly connection: SMTPConnection;
  readonly connectionOptions: SMTPConnection.Options;
  readonly tracker: StageTracker;
  readonly timeoutMs: number;
  /** cleared when the session ends */
  readonly timers: NodeJS.Timeout[];
  /** aborted when the session ends: stops the implicit-TLS check */
  readonly over: AbortSignal;
  /** what the server said of itself, once connected */
  server?: ServerInfo;
  /** ends the session with this report; later calls do nothing */
  finish(report: SmtpReport): void;
  /** ends the session with the classified error; later calls do nothing */
  fail(error: unknown): void;
}

/** Connect, log in when asked, send the message if any: the steps, each bounded. */
function converse(options: SmtpSessionOptions, login: boolean): Promise<SmtpReport> {
  return new Promise<SmtpReport>((resolve) => {
    const session = openSession(options.settings, resolve);
    if (options.deadline !== undefined) stopAtDeadline(session, options.deadline);
    checkForImplicitTls(session, options.settings);
    session.connection.connect((error) => {
      if (error) return session.fail(error);
      session.server = describeServer(session.connection, session.tracker);
      if (!login) return sendMessage(session, options.message);
      logIn(session, options.settings, () => sendMessage(session, options.message));
    });
  });
}

/**
 * The connection and its watchers, not yet connected: each stage and command is bounded by
 * SMTPServerTimeout, an error or an unexplained close ends the session, and ending it stops
 * every timer and destroys the socket.
 */
function openSession(settings: HeraldSettings, resolve: (report: SmtpReport) => void): Session {
  const connectionOptions = smtpConnectionOptions(settings);
  const timeoutMs = stageTimeoutMs(settings);
  const stageTimeout = new StageTimeout(timeoutMs, (error) => session.fail(error));
  const tracker = new StageTracker({
    onStage: (stage) => stageTimeout.restart(stage),
    onCommand: (stage) => stageTimeout.restart(stage),
    onResolved: () => queueMicrotask(watchImplicitTlsHandshake),
  });
  const connection = new SMTPConnection({
    ...connectionOptions,
    logger: tracker.logger,
    transactionLog: true,
  });
  const over = new AbortController();
  let settled = false;

  const session: Session = {
    connection,
    connectionOptions,
    tracker,
    timeoutMs,
    timers: [],
    over: over.signal,
    finish(report) {
      if (settled) return;
      settled = true;
      stageTimeout.stop();
      session.timers.forEach(clearTimeout);
      over.abort();
      // What the server said before a failure (banner, EHLO) helps as much as on success.
      if (!session.server && tracker.banner) session.server = describeServer(connection, tracker);
      // QUIT is a courtesy, not waited for; close() destroys the socket at once
      // (socketCloseTimeout 0), a server that keeps its side open cannot hold the process.
      if (report.ok) connection.quit();
      connection.close();
      const server = session.server;
      resolve({ ...report, ...(server ? { server } : {}), timings: tracker.timings() });
    },
    fail(error) {
      const { stage, error: info, hint } = classifySmtpError(error, tracker.stage);
      session.finish({ ok: false, stage, error: info, ...(hint ? { hint } : {}) });
    },
  };
  // nodemailer reports an implicit-TLS connection only once its handshake is done: the TCP
  // 'connect' of its socket is when the handshake (stage "tls") starts.
  function watchImplicitTlsHandshake(): void {
    const socket = connection._socket;
    if (connectionOptions.secure && socket && socket.connecting) {
      socket.once("connect", () => tracker.tcpConnected());
    }
  }

  connection.on("error", session.fail);
  // A close is reported after any error that explains it (nodemailer emits that one first or
  // in the same tick).
  connection.on("end", () => setImmediate(() => session.fail(new ConnectionClosedError(tracker.stage))));
  stageTimeout.restart(tracker.stage);
  return session;
}

/** Stops the session at the invocation's deadline, whatever stage it is in. */
function stopAtDeadline(session: Session, deadline: number): void {
  const remaining = Math.max(deadline - Date.now(), 0);
  session.timers.push(
    setTimeout(
      () =>
        session.fail(
          new DeadlineError(
            `stopped after ${remaining} ms, before the invocation's time ran out`,
            session.tracker.stage,
          ),
        ),
      remaining,
    ),
  );
}

/**
 * A plain or STARTTLS session that gets no greeting in time checks whether the port speaks
 * implicit TLS, and says so rather than timing out. Not on the STARTTLS ports: a client that
 * talks before the greeting there (Postfix postscreen's pregreet test on port 25) can get its
 * address blocked.
 */
function checkForImplicitTls(session: Session, settings: HeraldSettings): void {
  const { connectionOptions, tracker, timeoutMs } = session;
  if (connectionOptions.secure || STARTTLS_PORTS.has(Number(connectionOptions.port))) return;
  const checkAfter = Math.min(IMPLICIT_TLS_CHECK_AFTER_MS, timeoutMs / 2);
  session.timers.push(
    setTimeout(async () => {
      if (tracker.stage !== "greeting" && tracker.stage !== "connect") return;
      const host = connectionOptions.host ?? "";
      const port = Number(connectionOptions.port);
      const servername = connectionOptions.tls?.servername;
      if (await speaksImplicitTls(host, port, servername, timeoutMs - checkAfter, session.over)) {
        session.fail(
          new SecurityMismatchError(
            `port ${port} speaks implicit TLS (no greeting in clear text): ConnectionSecurity "${settings.EmailSettings.ConnectionSecurity}" does not match`,
            tracker.stage,
          ),
        );
      }
    }, checkAfter),
  );
}

/** AUTH with SMTPUsername and SMTPPassword, then the next step. */
function logIn(session: Session, settings: HeraldSettings, next: () => void): void {
  const email = settings.EmailSettings;
  session.connection.login(
    { credentials: { user: email.SMTPUsername, pass: email.SMTPPassword } },
    (error) => (error ? session.fail(error) : next()),
  );
}

/** Sends the message and ends the session; a probe (no message) ends it here. */
function sendMessage(session: Session, message: OutgoingMessage | undefined): void {
  if (!message) return session.finish({ ok: true, stage: "done" });
  session.connection.send({ from: message.from, to: message.to }, message.raw, (error) => {
    if (error) return session.fail(error);
    session.tracker.enter("done");
    session.finish({ ok: true, stage: "done", messageId: message.messageId });
  });
}
