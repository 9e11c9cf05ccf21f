// The SMTP fault matrix shared by the test-send Lambda test and the CLI test: each case
// starts its own server on 127.0.0.1 and says what the report must show.
import type { SmtpReport } from "../../src/smtp/report.ts";
import {
  closedPort,
  startSilentServer,
  startSmtpServer,
  startStallAfterEhloServer,
  startStallInDataServer,
  type RawTestServer,
  type TestSmtpServer,
} from "./smtp-servers.ts";

export const PASSWORD = "Sup3r-Secret-Pa55word";
export const USERNAME = "herald-user";

/** Full MM_* environment for the settings given as EmailSettings suffixes (SMTPPORT: "587"). */
export function settingsEnv(settings: Record<string, string>): Record<string, string> {
  const email = {
    SMTPSERVER: "localhost",
    FEEDBACKNAME: "Herald Alerts",
    FEEDBACKEMAIL: "alerts@example.com",
    REPLYTOADDRESS: "support@example.com",
    SMTPSERVERTIMEOUT: "2",
    ...settings,
  };
  return {
    ...Object.fromEntries(Object.entries(email).map(([key, value]) => [`MM_EMAILSETTINGS_${key}`, value])),
    MM_SERVICESETTINGS_SITEURL: "https://chat.example.com",
    MM_TEAMSETTINGS_SITENAME: "Acme",
  };
}

export const withAuth = { ENABLESMTPAUTH: "true", SMTPUSERNAME: USERNAME, SMTPPASSWORD: PASSWORD };
export const skipVerify = { SKIPSERVERCERTIFICATEVERIFICATION: "true" };
// Without credentials, EnableSMTPAuth must be turned off: it defaults to true with TLS.
export const noAuth = { ENABLESMTPAUTH: "false" };
export const tls = (extra: Record<string, string> = {}) => ({
  CONNECTIONSECURITY: "STARTTLS",
  ...skipVerify,
  ...noAuth,
  ...extra,
});

export interface FaultCase {
  name: string;
  start: () => Promise<TestSmtpServer>;
  settings: Record<string, string>;
  stage: SmtpReport["stage"];
  code?: string;
  responseCode?: number;
  enhancedStatus?: string;
  retryable: boolean;
  hint: RegExp;
  /**
   * the error message: for a stage that times out, the bound in effect (SMTPServerTimeout 2 s,
   * not a default). The bound's exact timing is tested on a fake clock in
   * test/src/smtp/session.timeouts.test.ts; here a default bound would outlast the test's time.
   */
  message?: RegExp;
  /** messages the server saw in full (the stall-in-DATA server never confirms them) */
  received?: number;
  /**
   * For a stall: true once the conversation has reached it (a barrier on what the server saw).
   * From there only the stage bound ends the session, so a test may move a fake clock over the
   * bound instead of waiting it out.
   */
  stalled?: (server: RawTestServer) => boolean;
}

export const FAULTS: FaultCase[] = [
  {
    name: "self-signed certificate with verification on",
    start: () => startSmtpServer({ secure: true }),
    settings: { CONNECTIONSECURITY: "TLS", ...noAuth },
    stage: "tls",
    code: "DEPTH_ZERO_SELF_SIGNED_CERT",
    retryable: false,
    hint: /certificate/,
  },
  {
    name: "self-signed certificate with verification on, via STARTTLS",
    start: () => startSmtpServer(),
    settings: { CONNECTIONSECURITY: "STARTTLS", ...noAuth },
    // the server accepted STARTTLS: the handshake after it is stage "tls"
    stage: "tls",
    retryable: false,
    hint: /certificate/,
  },
  {
    name: "wrong password (535)",
    start: () => startSmtpServer({ auth: { username: USERNAME, password: "another-password" } }),
    settings: tls(withAuth),
    stage: "auth",
    code: "EAUTH",
    responseCode: 535,
    enhancedStatus: "5.7.8",
    retryable: false,
    hint: /access key id/,
  },
  {
    name: 'server requires STARTTLS, ConnectionSecurity "" (530)',
    start: () => startSmtpServer({ requireStarttls: true }),
    settings: { CONNECTIONSECURITY: "" },
    stage: "mail",
    responseCode: 530,
    retryable: false,
    hint: /set ConnectionSecurity to "STARTTLS"/,
  },
  {
    name: "STARTTLS configured but not offered (no clear-text fallback)",
    start: () => startSmtpServer({ starttls: false }),
    settings: tls(),
    stage: "starttls",
    retryable: false,
    hint: /never falls back to clear text/,
  },
  {
    name: "TLS configured against a STARTTLS port",
    start: () => startSmtpServer(),
    settings: { CONNECTIONSECURITY: "TLS", ...skipVerify, ...noAuth, SMTPSERVERTIMEOUT: "10" },
    stage: "tls",
    retryable: false,
    hint: /"TLS" \(implicit TLS\) is for ports 465\/2465/,
  },
  {
    name: "STARTTLS configured against an implicit-TLS port",
    start: () => startSmtpServer({ secure: true }),
    settings: tls({ SMTPSERVERTIMEOUT: "10" }),
    stage: "greeting",
    code: "ESECURITYMISMATCH",
    retryable: false,
    hint: /"TLS" \(implicit TLS\) is for ports 465\/2465/,
  },
  {
    name: "relay refused: 554 5.7.1 Client host rejected",
    start: () =>
      startSmtpServer({
        starttls: false,
        failAt: {
          stage: "rcpt",
          code: 554,
          message: "5.7.1 <someone@example.com>: Client host rejected: Access denied",
        },
      }),
    settings: { CONNECTIONSECURITY: "" },
    stage: "rcpt",
    responseCode: 554,
    enhancedStatus: "5.7.1",
    retryable: false,
    hint: /refuses to relay/,
  },
  {
    name: "unknown recipient: 550 5.1.1",
    start: () =>
      startSmtpServer({
        starttls: false,
        failAt: {
          stage: "rcpt",
          code: 550,
          message: "5.1.1 <someone@example.com>: Recipient address rejected: User unknown",
        },
      }),
    settings: { CONNECTIONSECURITY: "" },
    stage: "rcpt",
    responseCode: 550,
    enhancedStatus: "5.1.1",
    retryable: false,
    hint: /does not exist/,
  },
  {
    name: "greylisting: 451 4.7.1",
    start: () =>
      startSmtpServer({
        starttls: false,
        failAt: { stage: "rcpt", code: 451, message: "4.7.1 Greylisted, please try again later" },
      }),
    settings: { CONNECTIONSECURITY: "" },
    stage: "rcpt",
    responseCode: 451,
    enhancedStatus: "4.7.1",
    retryable: true,
    hint: /temporary/i,
  },
  {
    name: "message too big: 552 at DATA",
    start: () =>
      startSmtpServer({
        starttls: false,
        failAt: { stage: "data", code: 552, message: "5.3.4 Message size exceeds fixed limit" },
      }),
    settings: { CONNECTIONSECURITY: "" },
    stage: "data",
    responseCode: 552,
    enhancedStatus: "5.3.4",
    retryable: false,
    hint: /size/,
  },
  {
    name: "service closing: 421 at MAIL",
    start: () =>
      startSmtpServer({
        starttls: false,
        failAt: { stage: "mail", code: 421, message: "4.7.0 Try again later, closing connection" },
      }),
    settings: { CONNECTIONSECURITY: "" },
    stage: "mail",
    responseCode: 421,
    retryable: true,
    hint: /temporary/i,
  },
  {
    name: "connection refused",
    start: async () => {
      const port = await closedPort();
      return { host: "127.0.0.1", port, messages: [], connections: 0, close: async () => undefined };
    },
    settings: { CONNECTIONSECURITY: "" },
    stage: "connect",
    code: "ECONNREFUSED",
    retryable: true,
    hint: /SMTPServer and SMTPPort/,
  },
  {
    name: "a server that never greets",
    start: startSilentServer,
    settings: { CONNECTIONSECURITY: "" },
    stage: "greeting",
    code: "ETIMEDOUT",
    retryable: true,
    hint: /did not answer within SMTPServerTimeout/,
    // connected: the client waits for a greeting
    stalled: (server) => server.connections === 1,
  },
  {
    name: "a server that stalls after EHLO",
    start: startStallAfterEhloServer,
    settings: { CONNECTIONSECURITY: "" },
    stage: "mail",
    code: "ETIMEDOUT",
    retryable: true,
    hint: /did not answer within SMTPServerTimeout/,
    message: /within SMTPServerTimeout \(2 s\) at stage mail/,
    stalled: (server) => /^MAIL FROM:/im.test(server.received),
  },
  {
    name: "a server that stalls in DATA",
    start: startStallInDataServer,
    settings: { CONNECTIONSECURITY: "" },
    received: 1,
    stage: "data",
    code: "ETIMEDOUT",
    retryable: true,
    hint: /did not answer within SMTPServerTimeout/,
    message: /within SMTPServerTimeout \(2 s\) at stage data/,
    // the final dot arrived: the client waits for its reply
    stalled: (server) => server.messages.length === 1,
  },
];
