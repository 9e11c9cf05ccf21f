import SMTPConnection from "nodemailer/lib/smtp-connection";
import { TLSSocket } from "node:tls";
import type { OutgoingMessage } from "../mail/message.ts";
import type { HeraldSettings } from "../settings/model.ts";
import { classifySmtpError } from "./classify.ts";
import { configReport } from "./config-report.ts";
import { speaksImplicitTls } from "./detect-implicit-tls.ts";
import { DeadlineError, SecurityMismatchError } from "./errors.ts";
import { smtpConnectionOptions, stageTimeoutMs } from "./options.ts";
import { checkBeforeConnecting } from "./preflight.ts";
import { redactSecrets } from "./redact.ts";
import type { ServerInfo, SmtpReport, TlsInfo } from "./report.ts";
import { ehloAuthMethods, ehloExtensions, StageTracker } from "./tracker.ts";

export interface SmtpSessionOptions {
  settings: HeraldSettings;
  /** Log in with SMTPUsername/SMTPPassword. @default settings.EmailSettings.EnableSMTPAuth */
  login?: boolean;
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
 * Real servers greet within milliseconds; some delay on purpose, and they are not harmed
 * by the check (their port does not complete a TLS handshake).
 */
const IMPLICIT_TLS_CHECK_AFTER_MS = 1000;

/**
 * One SMTP session, as the setup guide's telnet check would do it: connect, greeting, EHLO,
 * STARTTLS, EHLO, AUTH, and optionally one message. Always resolves to a report (never
 * rejects); the password never appears in it.
 */
export async function runSmtpSession(options: SmtpSessionOptions): Promise<SmtpReport> {
  const { settings } = options;
  const login = options.login ?? settings.EmailSettings.EnableSMTPAuth;
  const secrets = [settings.EmailSettings.SMTPPassword];
  const refused = checkBeforeConnecting(settings, login);
  if (refused) return redactSecrets(configReport(refused), secrets);
  return redactSecrets(await converse(options, login), secrets);
}

function converse(options: SmtpSessionOptions, login: boolean): Promise<SmtpReport> {
  const { settings, message } = options;
  const connectionOptions = smtpConnectionOptions(settings);
  const tracker = new StageTracker();
  const connection = new SMTPConnection({
    ...connectionOptions,
    logger: tracker.logger,
    transactionLog: true,
  });
  const timers: NodeJS.Timeout[] = [];
  // Ends the implicit-TLS check when the session ends first.
  const sessionOver = new AbortController();
  let server: ServerInfo | undefined;

  return new Promise<SmtpReport>((resolve) => {
    let settled = false;
    const finish = (report: SmtpReport) => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      sessionOver.abort();
      // What the server said before a failure (banner, EHLO) helps as much as on success.
      if (!server && tracker.banner) server = describeServer(connection, tracker);
      if (report.ok) connection.quit();
      connection.close();
      resolve({ ...report, ...(server ? { server } : {}), timings: tracker.timings() });
    };
    const fail = (error: unknown) => {
      const { stage, error: info, hint } = classifySmtpError(error, tracker.stage);
      finish({ ok: false, stage, error: info, ...(hint ? { hint } : {}) });
    };

    connection.on("error", fail);
    // A close is reported after any error that explains it (nodemailer emits that one first or
    // in the same tick).
    connection.on("end", () =>
      setImmediate(() =>
        fail(Object.assign(new Error("Connection closed unexpectedly"), { code: "ECONNECTION" })),
      ),
    );

    if (options.deadline !== undefined) {
      const remaining = Math.max(options.deadline - Date.now(), 0);
      timers.push(
        setTimeout(
          () =>
            fail(new DeadlineError(`stopped after ${remaining} ms, before the invocation's time ran out`)),
          remaining,
        ),
      );
    }
    if (!connectionOptions.secure) {
      const checkAfter = Math.min(IMPLICIT_TLS_CHECK_AFTER_MS, stageTimeoutMs(settings) / 2);
      timers.push(
        setTimeout(async () => {
          if (tracker.stage !== "greeting" && tracker.stage !== "connect") return;
          const host = connectionOptions.host ?? "";
          const port = Number(connectionOptions.port);
          const servername = connectionOptions.tls?.servername;
          if (
            await speaksImplicitTls(
              host,
              port,
              servername,
              stageTimeoutMs(settings) - checkAfter,
              sessionOver.signal,
            )
          ) {
            fail(
              new SecurityMismatchError(
                `port ${port} speaks implicit TLS (no greeting in clear text): ConnectionSecurity "${settings.EmailSettings.ConnectionSecurity}" does not match`,
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

function describeServer(connection: SMTPConnection, tracker: StageTracker): ServerInfo {
  const info: ServerInfo = {
    ...(tracker.banner ? { banner: tracker.banner } : {}),
    extensions: ehloExtensions(tracker.ehloReply),
    authMethods: ehloAuthMethods(tracker.ehloReply),
  };
  const tls = describeTls(connection._socket);
  if (tls) info.tls = tls;
  return info;
}

function describeTls(socket: unknown): TlsInfo | undefined {
  if (!(socket instanceof TLSSocket) || socket.destroyed) return undefined;
  const certificate = socket.getPeerCertificate();
  const info: TlsInfo = {
    protocol: socket.getProtocol() ?? "unknown",
    cipher: socket.getCipher()?.name ?? "unknown",
    authorized: socket.authorized,
  };
  if (certificate?.subject?.CN) info.subject = String(certificate.subject.CN);
  if (certificate?.issuer?.CN) info.issuer = String(certificate.issuer.CN);
  if (certificate?.valid_to) info.validTo = new Date(certificate.valid_to).toISOString();
  return info;
}
