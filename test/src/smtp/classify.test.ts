import { describe, expect, it } from "vitest";
import { classifySmtpError, type SmtpErrorLike } from "../../../src/smtp/classify.ts";
import {
  BadRequestError,
  DeadlineError,
  PasswordRequiredError,
  SecurityMismatchError,
  SettingsRefusedError,
} from "../../../src/smtp/errors.ts";
import type { SmtpStage } from "../../../src/smtp/report.ts";

/** nodemailer errors carry these fields on an Error; build them the same way. */
function nodemailerError(fields: SmtpErrorLike & { message: string }): Error {
  return Object.assign(new Error(fields.message), fields);
}

interface Case {
  name: string;
  error: unknown;
  /** the stage the session tracker was in */
  at: SmtpStage;
  stage: SmtpStage;
  code: string;
  responseCode?: number;
  enhancedStatus?: string;
  retryable: boolean;
  hint: RegExp | undefined;
}

// Shapes recorded from nodemailer 10.6 against smtp-server and raw sockets (see test/lambdas
// for the same faults end to end).
const CASES: Case[] = [
  {
    name: "self-signed certificate, implicit TLS",
    error: nodemailerError({
      message: "self-signed certificate",
      code: "ESOCKET",
      originalCode: "DEPTH_ZERO_SELF_SIGNED_CERT",
      command: "CONN",
    }),
    at: "connect",
    stage: "tls",
    code: "DEPTH_ZERO_SELF_SIGNED_CERT",
    retryable: false,
    hint: /certificate could not be verified/,
  },
  {
    name: "self-signed certificate during STARTTLS",
    error: nodemailerError({
      message: "self-signed certificate",
      code: "ESOCKET",
      originalCode: "DEPTH_ZERO_SELF_SIGNED_CERT",
      command: "CONN",
    }),
    at: "starttls",
    stage: "starttls",
    code: "DEPTH_ZERO_SELF_SIGNED_CERT",
    retryable: false,
    hint: /certificate could not be verified/,
  },
  {
    name: "certificate name mismatch",
    error: nodemailerError({
      message: "Hostname/IP does not match certificate's altnames",
      code: "ESOCKET",
      originalCode: "ERR_TLS_CERT_ALTNAME_INVALID",
      command: "CONN",
    }),
    at: "connect",
    stage: "tls",
    code: "ERR_TLS_CERT_ALTNAME_INVALID",
    retryable: false,
    hint: /must match SMTPServer/,
  },
  {
    name: "535 5.7.8 wrong credentials",
    error: nodemailerError({
      message: "Invalid login: 535 5.7.8 Authentication credentials invalid",
      code: "EAUTH",
      responseCode: 535,
      response: "535 5.7.8 Authentication credentials invalid",
      command: "AUTH PLAIN",
    }),
    at: "auth",
    stage: "auth",
    code: "EAUTH",
    responseCode: 535,
    enhancedStatus: "5.7.8",
    retryable: false,
    hint: /access key id \(not the IAM user name\).*region-specific/,
  },
  {
    name: "530 5.7.0 Must issue a STARTTLS command first",
    error: nodemailerError({
      message: "Mail command failed: 530 5.7.0 Must issue a STARTTLS command first",
      code: "EENVELOPE",
      responseCode: 530,
      response: "530 5.7.0 Must issue a STARTTLS command first",
      command: "MAIL FROM",
    }),
    at: "rcpt",
    stage: "mail",
    code: "EENVELOPE",
    responseCode: 530,
    enhancedStatus: "5.7.0",
    retryable: false,
    hint: /set ConnectionSecurity to "STARTTLS"/,
  },
  {
    name: "STARTTLS refused (not offered)",
    error: nodemailerError({
      message: "Error upgrading connection with STARTTLS: 500 Error: command not recognized",
      code: "ETLS",
      responseCode: 500,
      response: "500 Error: command not recognized",
      command: "STARTTLS",
    }),
    at: "starttls",
    stage: "starttls",
    code: "ETLS",
    responseCode: 500,
    retryable: false,
    hint: /never falls back to clear text/,
  },
  {
    name: "TLS against a STARTTLS port: wrong version number",
    error: nodemailerError({
      message: "error:0A00010B:SSL routines:tls_validate_record_header:wrong version number",
      code: "ESOCKET",
      originalCode: "ERR_SSL_WRONG_VERSION_NUMBER",
      command: "CONN",
    }),
    at: "connect",
    stage: "tls",
    code: "ERR_SSL_WRONG_VERSION_NUMBER",
    retryable: false,
    hint: /"TLS" \(implicit TLS\) is for ports 465\/2465, "STARTTLS" for 587\/25\/2587/,
  },
  {
    name: "STARTTLS against an implicit-TLS port (detected)",
    error: new SecurityMismatchError("port 465 speaks implicit TLS", "greeting"),
    at: "greeting",
    stage: "greeting",
    code: "ESECURITYMISMATCH",
    retryable: false,
    hint: /"TLS" \(implicit TLS\) is for ports 465\/2465/,
  },
  {
    name: "554 5.7.1 Client host rejected",
    error: nodemailerError({
      message:
        "Can't send mail - all recipients were rejected: 554 5.7.1 <b@example.com>: Client host rejected: Access denied",
      code: "EENVELOPE",
      responseCode: 554,
      response: "554 5.7.1 <b@example.com>: Client host rejected: Access denied",
      command: "RCPT TO",
    }),
    at: "rcpt",
    stage: "rcpt",
    code: "EENVELOPE",
    responseCode: 554,
    enhancedStatus: "5.7.1",
    retryable: false,
    hint: /refuses to relay for this client's IP/,
  },
  {
    name: "SES: 554 Email address is not verified",
    error: nodemailerError({
      message:
        "Message failed: 554 Message rejected: Email address is not verified. The following identities failed the check in region EU-WEST-1: a@example.com",
      code: "EMESSAGE",
      responseCode: 554,
      response:
        "554 Message rejected: Email address is not verified. The following identities failed the check in region EU-WEST-1: a@example.com",
      command: "DATA",
    }),
    at: "data",
    stage: "data",
    code: "EMESSAGE",
    responseCode: 554,
    retryable: false,
    hint: /SES sandbox/,
  },
  {
    name: "SES: 454 Throttling failure",
    error: nodemailerError({
      message: "Message failed: 454 Throttling failure: Maximum sending rate exceeded.",
      code: "EMESSAGE",
      responseCode: 454,
      response: "454 Throttling failure: Maximum sending rate exceeded.",
      command: "DATA",
    }),
    at: "data",
    stage: "data",
    code: "EMESSAGE",
    responseCode: 454,
    retryable: true,
    hint: /rate exceeded; the message is retried automatically/,
  },
  {
    name: "550 5.1.1 unknown recipient",
    error: nodemailerError({
      message:
        "Can't send mail - all recipients were rejected: 550 5.1.1 <b@example.com>: Recipient address rejected: User unknown",
      code: "EENVELOPE",
      responseCode: 550,
      response: "550 5.1.1 <b@example.com>: Recipient address rejected: User unknown",
      command: "RCPT TO",
    }),
    at: "rcpt",
    stage: "rcpt",
    code: "EENVELOPE",
    responseCode: 550,
    enhancedStatus: "5.1.1",
    retryable: false,
    hint: /does not exist/,
  },
  {
    name: "451 4.7.1 greylisted",
    error: nodemailerError({
      message: "Can't send mail - all recipients were rejected: 451 4.7.1 Greylisted, please try again later",
      code: "EENVELOPE",
      responseCode: 451,
      response: "451 4.7.1 Greylisted, please try again later",
      command: "RCPT TO",
    }),
    at: "rcpt",
    stage: "rcpt",
    code: "EENVELOPE",
    responseCode: 451,
    enhancedStatus: "4.7.1",
    retryable: true,
    hint: /temporary failure.*retried/i,
  },
  {
    name: "421 at MAIL",
    error: nodemailerError({
      message: "Mail command failed: 421 4.7.0 Try again later, closing connection",
      code: "EENVELOPE",
      responseCode: 421,
      response: "421 4.7.0 Try again later, closing connection",
      command: "MAIL FROM",
    }),
    at: "mail",
    stage: "mail",
    code: "EENVELOPE",
    responseCode: 421,
    enhancedStatus: "4.7.0",
    retryable: true,
    hint: /temporary failure/i,
  },
  {
    name: "552 5.3.4 at DATA",
    error: nodemailerError({
      message: "Message failed: 552 5.3.4 Message size exceeds fixed limit",
      code: "EMESSAGE",
      responseCode: 552,
      response: "552 5.3.4 Message size exceeds fixed limit",
      command: "DATA",
    }),
    at: "data",
    stage: "data",
    code: "EMESSAGE",
    responseCode: 552,
    enhancedStatus: "5.3.4",
    retryable: false,
    hint: /size/,
  },
  {
    name: "connection refused",
    error: nodemailerError({
      message: "connect ECONNREFUSED 127.0.0.1:25",
      code: "ESOCKET",
      originalCode: "ECONNREFUSED",
      command: "CONN",
    }),
    at: "connect",
    stage: "connect",
    code: "ECONNREFUSED",
    retryable: true,
    hint: /port 25 is blocked from Lambda.*NAT/,
  },
  {
    name: "DNS failure",
    error: nodemailerError({
      message: "getaddrinfo ENOTFOUND smtp.example.invalid",
      code: "EDNS",
      originalCode: "ENOTFOUND",
      command: "CONN",
    }),
    at: "connect",
    stage: "connect",
    code: "ENOTFOUND",
    retryable: true,
    hint: /check SMTPServer and SMTPPort/,
  },
  {
    name: "no greeting (timeout)",
    error: nodemailerError({ message: "Timeout", code: "ETIMEDOUT", command: "CONN" }),
    at: "greeting",
    stage: "greeting",
    code: "ETIMEDOUT",
    retryable: true,
    hint: /did not answer within SMTPServerTimeout/,
  },
  {
    name: "stall in DATA (timeout)",
    error: nodemailerError({ message: "Timeout", code: "ETIMEDOUT", command: "CONN" }),
    at: "data",
    stage: "data",
    code: "ETIMEDOUT",
    retryable: true,
    hint: /did not answer within SMTPServerTimeout/,
  },
  {
    name: "the invocation deadline",
    error: new DeadlineError("stopped", "rcpt"),
    at: "rcpt",
    stage: "rcpt",
    code: "EDEADLINE",
    retryable: true,
    hint: /before the Lambda invocation timed out/,
  },
  {
    name: "a config refusal carries its own hint",
    error: new SettingsRefusedError([
      {
        setting: "EmailSettings.ConnectionSecurity",
        severity: "error",
        code: "ECLEARTEXTAUTH",
        message: "refusing",
        fix: "set ConnectionSecurity",
      },
    ]),
    at: "connect",
    stage: "config",
    code: "ECLEARTEXTAUTH",
    retryable: false,
    hint: /^Set ConnectionSecurity\.$/,
  },
  {
    name: "a password that must be re-entered",
    error: new PasswordRequiredError(["SMTPServer"]),
    at: "connect",
    stage: "config",
    code: "EPASSWORDREQUIRED",
    retryable: false,
    hint: /Re-enter the SMTP password/,
  },
  {
    name: "a bad request is not a settings error",
    error: new BadRequestError("ERECIPIENT", '"to": "x" is not an email address', "Pass a plain address."),
    at: "connect",
    stage: "config",
    code: "ERECIPIENT",
    retryable: false,
    hint: /^Pass a plain address\.$/,
  },
  {
    name: "a reply that is not SMTP (EPROTOCOL) points at the port",
    error: nodemailerError({
      message: "Invalid greeting. response=hello",
      code: "EPROTOCOL",
      response: "hello",
      command: "CONN",
    }),
    at: "greeting",
    stage: "greeting",
    code: "EPROTOCOL",
    retryable: false,
    hint: /not SMTP.*SMTPServer and SMTPPort point at an SMTP server/,
  },
];

describe("classifySmtpError", () => {
  it.each(CASES)("$name", ({ error, at, stage, code, responseCode, enhancedStatus, retryable, hint }) => {
    const result = classifySmtpError(error, at);
    expect(result.stage).toBe(stage);
    expect(result.error.code).toBe(code);
    expect(result.error.responseCode).toBe(responseCode);
    expect(result.error.enhancedStatus).toBe(enhancedStatus);
    expect(result.error.retryable).toBe(retryable);
    if (hint) expect(result.hint).toMatch(hint);
    else expect(result.hint).toBeUndefined();
  });

  it.each([undefined, null, "boom", 42, {}])("never throws on %s", (value) => {
    expect(() => classifySmtpError(value, "connect")).not.toThrow();
    expect(classifySmtpError(value, "connect").stage).toBe("connect");
  });

  it("reads the reply code from the response when nodemailer did not set one", () => {
    const result = classifySmtpError(
      nodemailerError({ message: "x", code: "EPROTOCOL", response: "429 4.7.0 Too many requests" }),
      "mail",
    );
    expect(result.error).toMatchObject({ responseCode: 429, enhancedStatus: "4.7.0", retryable: true });
    expect(result.hint).toMatch(/rate exceeded/);
  });

  it("the AUTH hint names no herald command that does not exist", async () => {
    const { runCli } = await import("../../../src/cli/main.ts");
    let help = "";
    await runCli(["--help"], { stdout: (t) => (help += t), stderr: () => undefined, env: {} });
    const hint = classifySmtpError(nodemailerError({ message: "x", code: "EAUTH" }), "auth").hint ?? "";
    for (const [, command] of hint.matchAll(/herald ([a-z-]+)/g)) expect(help).toContain(`  ${command} `);
  });
});
