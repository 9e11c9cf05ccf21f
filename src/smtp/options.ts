import type { SMTPConnectionOptions } from "nodemailer/lib/smtp-connection";
import { isIP } from "node:net";
import { connectionHost, urlHost } from "../net/hosts.ts";
import type { HeraldSettings } from "../settings/model.ts";

/** SMTPServerTimeout in milliseconds (the settings loader already turned 0 into 10). */
export function stageTimeoutMs(settings: HeraldSettings): number {
  const seconds = settings.EmailSettings.SMTPServerTimeout;
  return (Number.isInteger(seconds) && seconds > 0 ? seconds : 10) * 1000;
}

/** Connections the pooled SMTP transport keeps open and sends over in parallel. */
export const SMTP_POOL_CONNECTIONS = 5;

/** SMTP stages one pooled message may take (connection, envelope, data) before it is stopped. */
export const SMTP_STAGES_PER_MESSAGE = 3;

/**
 * The longest one pooled SMTP send may take: its stages, then the reply to the final dot,
 * which is awaited within one more stage and never cut short.
 */
export function smtpSendBoundMs(
  settings: HeraldSettings,
  stagesPerMessage = SMTP_STAGES_PER_MESSAGE,
): number {
  return stageTimeoutMs(settings) * (stagesPerMessage + 1);
}

/** The EHLO name: the host of SiteURL when set (nodemailer falls back to the machine's name). */
export function ehloName(settings: HeraldSettings): string | undefined {
  return urlHost(settings.ServiceSettings.SiteURL);
}

/**
 * nodemailer connection options that follow ConnectionSecurity exactly:
 * "TLS" implicit TLS from the first byte; "STARTTLS" required, never a clear-text fallback;
 * "" clear text without STARTTLS. nodemailer's timers get SMTPServerTimeout (its own defaults
 * are minutes); its socketTimeout is only an idle timer, so the session also bounds each stage
 * as a whole (stage-timeout.ts). Credentials are not part of this: they go to login() only
 * after the preflight checks.
 */
export function smtpConnectionOptions(settings: HeraldSettings): SMTPConnectionOptions {
  const email = settings.EmailSettings;
  // "[::1]" is written like a URL host; sockets take the address without brackets.
  const host = connectionHost(email.SMTPServer);
  const timeout = stageTimeoutMs(settings);
  const security = email.ConnectionSecurity;
  return {
    host,
    port: Number(email.SMTPPort),
    secure: security === "TLS",
    requireTLS: security === "STARTTLS",
    ignoreTLS: security === "",
    opportunisticTLS: false,
    name: ehloName(settings),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    dnsTimeout: timeout,
    // close() destroys the socket instead of ending it and waiting (5 s by default) for a
    // server that may never close its side: nothing of a session outlives its report.
    socketCloseTimeout: 0,
    // Loopback and private addresses are what a sandbox or a VPC relay uses.
    allowInternalNetworkInterfaces: true,
    tls: {
      rejectUnauthorized: !email.SkipServerCertificateVerification,
      // SNI and the certificate name check use SMTPServer (SNI is not sent for IP addresses).
      ...(isIP(host) === 0 ? { servername: host } : {}),
      minVersion: "TLSv1.2",
    },
  };
}
