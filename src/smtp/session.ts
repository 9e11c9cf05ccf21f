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

function converse(options: SmtpSessionOptions, login: boolean): Promise<SmtpReport> {
  const { settings, message } = options;
  const connectionOptions = smtpConnectionOptions(settings);
  const timeoutMs = stageTimeoutMs(settings);

  return new Promise<SmtpReport>((resolve) => {
    const stageTimeout = new StageTimeout(timeoutMs, (error) => fail(error));
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
    const timers: NodeJS.Timeout[] = [];
    // Ends the implicit-TLS check when the session ends first.
    const sessionOver = new AbortController();
    let server: ServerInfo | undefined;
    let settled = false;

    function finish(report: SmtpReport): void {
      if (settled) return;
      settled = true;
      stageTimeout.stop();
      timers.forEach(clearTimeout);
      sessionOver.abort();
      // What the server said before a failure (banner, EHLO) helps as much as on success.
      if (!server && tracker.banner) server = describeServer(connection, tracker);
      // QUIT is a courtesy, not waited for; close() destroys the socket at once
      // (socketCloseTimeout 0), a server that keeps its side open cannot hold the process.
      if (report.ok) connection.quit();
      connection.close();
      resolve({ ...report, ...(server ? { server } : {}), timings: tracker.timings() });
    }
    function fail(error: unknown): void {
      const { stage, error: info, hint } = classifySmtpError(error, tracker.stage);
      finish({ ok: false, stage, error: info, ...(hint ? { hint } : {}) });
    }
    // nodemailer reports an implicit-TLS connection only once its handshake is done: the TCP
    // 'connect' of its socket is when the handshake (stage "tls") starts.
    function watchImplicitTlsHandshake(): void {
      const socket = connection._socket;
      if (connectionOptions.secure && socket && socket.connecting) {
        socket.once("connect", () => tracker.tcpConnected());
      }
    }

    connection.on("error", fail);
    // A close is reported after any error that explains it (nodemailer emits that one first or
    // in the same tick).
    connection.on("end", () => setImmediate(() => fail(new ConnectionClosedError(tracker.stage))));

    stageTimeout.restart(tracker.stage);
    if (options.deadline !== undefined) {
      const remaining = Math.max(options.deadline - Date.now(), 0);
      timers.push(
        setTimeout(
          () =>
            fail(
              new DeadlineError(
                `stopped after ${remaining} ms, before the invocation's time ran out`,
                tracker.stage,
              ),
            ),
          remaining,
        ),
      );
    }
    // Not on the STARTTLS ports: a client that talks before the greeting there (Postfix
    // postscreen's pregreet test on port 25) can get its address blocked.
    if (!connectionOptions.secure && !STARTTLS_PORTS.has(Number(connectionOptions.port))) {
      const checkAfter = Math.min(IMPLICIT_TLS_CHECK_AFTER_MS, timeoutMs / 2);
      timers.push(
        setTimeout(async () => {
          if (tracker.stage !== "greeting" && tracker.stage !== "connect") return;
          const host = connectionOptions.host ?? "";
          const port = Number(connectionOptions.port);
          const servername = connectionOptions.tls?.servername;
          if (await speaksImplicitTls(host, port, servername, timeoutMs - checkAfter, sessionOver.signal)) {
            fail(
              new SecurityMismatchError(
                `port ${port} speaks implicit TLS (no greeting in clear text): ConnectionSecurity "${settings.EmailSettings.ConnectionSecurity}" does not match`,
                tracker.stage,
              ),
            );
          }
        }, checkAfter),
      );
    }

    const send = () => {
      if (!message) return finish({ ok: true, stage: "done" });
      connection.send({ from: message.from, to: message.to }, message.raw, (error) => {
        if (error) return fail(error);
        tracker.enter("done");
        finish({ ok: true, stage: "done", messageId: message.messageId });
      });
    };

    connection.connect((error) => {
      if (error) return fail(error);
      server = describeServer(connection, tracker);
      if (!login) return send();
      const email = settings.EmailSettings;
      connection.login({ credentials: { user: email.SMTPUsername, pass: email.SMTPPassword } }, (error) =>
        error ? fail(error) : send(),
      );
    });
  });
}
