import {
  GetAccountCommand,
  GetEmailIdentityCommand,
  SESv2Client,
  type DkimStatus,
} from "@aws-sdk/client-sesv2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it, vi } from "vitest";
import { invokeValidateSettings } from "../helpers/lambda.ts";
import { captureStdout } from "../helpers/capture-stdout.ts";
import { startSmtpServer, type TestSmtpServer } from "../helpers/smtp-servers.ts";

// No local server implements SES's GetAccount / GetEmailIdentity (aws-ses-v2-local covers
// sending only), so the SES v2 client is mocked here.
const ses = mockClient(SESv2Client);
const PASSWORD = "Val1date-Secret-Pa55";

let server: TestSmtpServer | undefined;
afterEach(async () => {
  ses.reset();
  await server?.close();
  server = undefined;
  vi.unstubAllEnvs();
});

function useEnv(vars: Record<string, string>): void {
  for (const [key, value] of Object.entries(vars)) vi.stubEnv(key, value);
}

const sesSmtp = {
  MM_EMAILSETTINGS_SMTPSERVER: "email-smtp.eu-west-1.amazonaws.com",
  MM_EMAILSETTINGS_SMTPPORT: "587",
  MM_EMAILSETTINGS_CONNECTIONSECURITY: "STARTTLS",
  MM_EMAILSETTINGS_SMTPUSERNAME: "AKIAIOSFODNN7EXAMPLE",
  MM_EMAILSETTINGS_SMTPPASSWORD: PASSWORD,
  MM_EMAILSETTINGS_FEEDBACKEMAIL: "notifications@mail.example.com",
};

async function invoke(event: unknown) {
  const { result, output } = await captureStdout(() => invokeValidateSettings(event));
  expect(JSON.stringify(result)).not.toContain(PASSWORD);
  expect(output).not.toContain(PASSWORD);
  const log = JSON.parse(output.trim().split("\n").pop()!);
  return { result, log };
}

describe("validate-settings: SES account checks", () => {
  it("reports sandbox, quota, rate and a verified identity with DKIM SUCCESS", async () => {
    useEnv(sesSmtp);
    ses.on(GetAccountCommand).resolves({
      ProductionAccessEnabled: false,
      SendingEnabled: true,
      SendQuota: { Max24HourSend: 200, MaxSendRate: 1, SentLast24Hours: 3 },
    });
    ses
      .on(GetEmailIdentityCommand)
      .resolves({ VerifiedForSendingStatus: true, DkimAttributes: { Status: "SUCCESS" } });
    const { result, log } = await invoke({});
    expect(result.account).toEqual({
      region: "eu-west-1",
      sandbox: true,
      sendingEnabled: true,
      max24HourSend: 200,
      maxSendRate: 1,
      sentLast24Hours: 3,
      enforcementStatus: undefined,
    });
    expect(result.identity).toEqual({
      name: "mail.example.com",
      found: true,
      verifiedForSending: true,
      dkimStatus: "SUCCESS",
    });
    expect(ses.commandCalls(GetEmailIdentityCommand)[0]?.args[0].input).toEqual({
      EmailIdentity: "mail.example.com",
    });
    expect(result.problems).toEqual([
      expect.objectContaining({
        setting: "ses.account",
        severity: "warning",
        message: expect.stringContaining("sandbox"),
      }),
    ]);
    expect(result.valid).toBe(true);
    expect(log).toMatchObject({ event: "validate-settings.valid", valid: true, sandbox: true });
  });

  it("checks the deployment's identity when it is a parent of the sender's domain (HERALD_SES_IDENTITY)", async () => {
    useEnv({ ...sesSmtp, HERALD_SES_IDENTITY: "Example.com" });
    ses.on(GetAccountCommand).resolves({ ProductionAccessEnabled: true, SendingEnabled: true });
    ses
      .on(GetEmailIdentityCommand)
      .resolves({ VerifiedForSendingStatus: true, DkimAttributes: { Status: "SUCCESS" } });
    const { result } = await invoke({});
    // SES sends as mail.example.com through the verified parent: that is the identity to read
    expect(ses.commandCalls(GetEmailIdentityCommand).map((call) => call.args[0].input)).toEqual([
      { EmailIdentity: "example.com" },
    ]);
    expect(result.identity).toMatchObject({ name: "example.com", verifiedForSending: true });
    expect(result.valid).toBe(true);
  });

  it("reads the sender's own domain when the deployment's identity does not cover it", async () => {
    useEnv({ ...sesSmtp, HERALD_SES_IDENTITY: "other.example.org" });
    ses.on(GetAccountCommand).resolves({ ProductionAccessEnabled: true, SendingEnabled: true });
    ses.on(GetEmailIdentityCommand).resolves({ VerifiedForSendingStatus: true });
    await invoke({});
    expect(ses.commandCalls(GetEmailIdentityCommand)[0]?.args[0].input).toEqual({
      EmailIdentity: "mail.example.com",
    });
  });

  it.each([
    {
      name: "identity unverified, DKIM pending",
      identity: { VerifiedForSendingStatus: false, DkimAttributes: { Status: "PENDING" as DkimStatus } },
      expected: [
        {
          setting: "EmailSettings.FeedbackEmail",
          severity: "error",
          message: expect.stringContaining("not verified"),
        },
        {
          setting: "EmailSettings.FeedbackEmail",
          severity: "warning",
          message: expect.stringContaining("PENDING"),
        },
      ],
    },
    {
      name: "verified but DKIM failed",
      identity: { VerifiedForSendingStatus: true, DkimAttributes: { Status: "FAILED" as DkimStatus } },
      expected: [
        {
          setting: "EmailSettings.FeedbackEmail",
          severity: "warning",
          message: expect.stringContaining("FAILED"),
        },
      ],
    },
  ])("$name", async ({ identity, expected }) => {
    useEnv(sesSmtp);
    ses.on(GetAccountCommand).resolves({ ProductionAccessEnabled: true, SendingEnabled: true });
    ses.on(GetEmailIdentityCommand).resolves(identity);
    const { result } = await invoke({});
    expect(result.problems).toEqual(expected.map((e) => expect.objectContaining(e)));
    expect(result.valid).toBe(!expected.some((e) => e.severity === "error"));
  });

  it("an identity SES does not know is an error", async () => {
    useEnv(sesSmtp);
    ses.on(GetAccountCommand).resolves({ ProductionAccessEnabled: true, SendingEnabled: true });
    ses
      .on(GetEmailIdentityCommand)
      .rejects(Object.assign(new Error("not found"), { name: "NotFoundException" }));
    const { result } = await invoke({});
    expect(result.identity).toEqual({ name: "mail.example.com", found: false, verifiedForSending: false });
    expect(result.problems).toEqual([
      expect.objectContaining({
        severity: "error",
        message: expect.stringContaining("is not an SES identity in eu-west-1"),
      }),
    ]);
  });

  it("paused sending is an error; a denied call is a warning naming the permission", async () => {
    useEnv(sesSmtp);
    ses
      .on(GetAccountCommand)
      .resolves({ ProductionAccessEnabled: true, SendingEnabled: false, EnforcementStatus: "SHUTDOWN" });
    ses
      .on(GetEmailIdentityCommand)
      .rejects(Object.assign(new Error("denied"), { name: "AccessDeniedException" }));
    const { result } = await invoke({});
    expect(result.problems).toEqual([
      expect.objectContaining({
        setting: "ses.account",
        severity: "error",
        message: expect.stringContaining("SHUTDOWN"),
      }),
      expect.objectContaining({
        setting: "ses.identity",
        severity: "warning",
        fix: expect.stringContaining("ses:GetEmailIdentity"),
      }),
    ]);
    expect(result.valid).toBe(false);
  });

  it("runs for the ses-api transport in the function's region", async () => {
    useEnv({
      HERALD_TRANSPORT: "ses-api",
      AWS_REGION: "us-east-2",
      MM_EMAILSETTINGS_FEEDBACKEMAIL: "n@example.org",
    });
    ses.on(GetAccountCommand).resolves({ ProductionAccessEnabled: true, SendingEnabled: true });
    ses
      .on(GetEmailIdentityCommand)
      .resolves({ VerifiedForSendingStatus: true, DkimAttributes: { Status: "SUCCESS" } });
    const { result } = await invoke({});
    expect(result.account?.region).toBe("us-east-2");
    expect(result.identity?.name).toBe("example.org");
  });

  it("does not call SES for another SMTP server", async () => {
    useEnv({ MM_EMAILSETTINGS_SMTPSERVER: "127.0.0.1", MM_EMAILSETTINGS_SMTPPORT: "2525" });
    const { result } = await invoke({});
    expect(ses.calls()).toHaveLength(0);
    expect(result.account).toBeUndefined();
    expect(result.valid).toBe(true);
  });
});

describe("validate-settings: the sender this deployment may send as (HERALD_ALLOWED_SENDER)", () => {
  const local = {
    MM_EMAILSETTINGS_SMTPSERVER: "127.0.0.1",
    MM_EMAILSETTINGS_SMTPPORT: "2525",
    MM_EMAILSETTINGS_ENABLESMTPAUTH: "false",
  };

  it("an edited FeedbackEmail the SMTP user may not send as is an error naming the field and the redeploy", async () => {
    useEnv({
      ...local,
      HERALD_ALLOWED_SENDER: "notifications@example.com",
      MM_EMAILSETTINGS_FEEDBACKEMAIL: "alerts@example.com",
    });
    const { result } = await invoke({});
    expect(result.valid).toBe(false);
    expect(result.problems).toContainEqual(
      expect.objectContaining({
        setting: "EmailSettings.FeedbackEmail",
        severity: "error",
        code: "ESENDERNOTDEPLOYED",
        message: expect.stringContaining(
          'FeedbackEmail "alerts@example.com" (from MM_EMAILSETTINGS_FEEDBACKEMAIL) is not an address this deployment may send as',
        ),
        fix: expect.stringContaining("-c senderAddress=alerts@example.com"),
      }),
    );
  });

  it("the deployed sender (in any case), or any address of a deployed domain, is valid", async () => {
    useEnv({
      ...local,
      HERALD_ALLOWED_SENDER: "notifications@example.com",
      MM_EMAILSETTINGS_FEEDBACKEMAIL: "Notifications@Example.com",
    });
    expect((await invoke({})).result.valid).toBe(true);
    vi.unstubAllEnvs();
    useEnv({
      ...local,
      HERALD_ALLOWED_SENDER: "example.com",
      MM_EMAILSETTINGS_FEEDBACKEMAIL: "a@example.com",
    });
    expect((await invoke({})).result.valid).toBe(true);
    vi.unstubAllEnvs();
    useEnv({
      ...local,
      HERALD_ALLOWED_SENDER: "example.com",
      MM_EMAILSETTINGS_FEEDBACKEMAIL: "a@example.org",
    });
    const { result } = await invoke({});
    expect(result.problems.map((p) => p.code)).toContain("ESENDERNOTDEPLOYED");
  });

  it("without the variable (the CLI, the sandbox), any sender passes this check", async () => {
    useEnv({ ...local, MM_EMAILSETTINGS_FEEDBACKEMAIL: "alerts@example.com" });
    const { result } = await invoke({});
    expect(result.problems.map((p) => p.code)).not.toContain("ESENDERNOTDEPLOYED");
  });
});

describe("validate-settings: a send bound that cannot fit the send function's timeout (HERALD_SEND_TIMEOUT_SECONDS)", () => {
  const local = {
    MM_EMAILSETTINGS_SMTPSERVER: "127.0.0.1",
    MM_EMAILSETTINGS_SMTPPORT: "2525",
    MM_EMAILSETTINGS_ENABLESMTPAUTH: "false",
  };

  it("warns, naming SMTPServerTimeout, the bound, the timeout and the fix", async () => {
    useEnv({ ...local, HERALD_SEND_TIMEOUT_SECONDS: "60", MM_EMAILSETTINGS_SMTPSERVERTIMEOUT: "3600" });
    const { result } = await invoke({});
    expect(result.problems).toContainEqual({
      setting: "EmailSettings.SMTPServerTimeout",
      severity: "warning",
      code: "ESENDBOUNDTOOLONG",
      source: "env",
      message:
        "SMTPServerTimeout 3600 (from MM_EMAILSETTINGS_SMTPSERVERTIMEOUT): one send may take 4 x 3600 s + 2 s = 14402 s, more than the send function's timeout (60 s), so no notification would ever start",
      fix: "use at most 14 seconds, or deploy with -c smtpServerTimeout=3600 if the stack can fit it (the send function's timeout follows it, up to 220 s)",
    });
  });

  it("says nothing when the bound fits, or outside a deployment", async () => {
    useEnv({ ...local, HERALD_SEND_TIMEOUT_SECONDS: "60", MM_EMAILSETTINGS_SMTPSERVERTIMEOUT: "14" });
    expect((await invoke({})).result.problems.map((p) => p.code)).not.toContain("ESENDBOUNDTOOLONG");
    vi.unstubAllEnvs();
    useEnv({ ...local, MM_EMAILSETTINGS_SMTPSERVERTIMEOUT: "3600" });
    expect((await invoke({})).result.problems.map((p) => p.code)).not.toContain("ESENDBOUNDTOOLONG");
  });
});

/** STARTTLS + AUTH against a loopback server with a self-signed certificate. */
function probeSettings(port: number): Record<string, string> {
  return {
    MM_EMAILSETTINGS_SMTPSERVER: "localhost",
    MM_EMAILSETTINGS_SMTPPORT: String(port),
    MM_EMAILSETTINGS_CONNECTIONSECURITY: "STARTTLS",
    MM_EMAILSETTINGS_SKIPSERVERCERTIFICATEVERIFICATION: "true",
    MM_EMAILSETTINGS_SMTPUSERNAME: "probe-user",
    MM_EMAILSETTINGS_SMTPPASSWORD: PASSWORD,
  };
}

describe("validate-settings: settings and probe", () => {
  it("validates unsaved settings from the event over the saved ones", async () => {
    useEnv({ MM_EMAILSETTINGS_SMTPSERVER: "127.0.0.1", MM_EMAILSETTINGS_ENABLESMTPAUTH: "false" });
    const { result, log } = await invoke({ settings: { EmailSettings: { ConnectionSecurity: "SSL" } } });
    expect(result.valid).toBe(false);
    expect(result.problems).toContainEqual(
      expect.objectContaining({ setting: "EmailSettings.ConnectionSecurity", source: "override" }),
    );
    expect(log).toMatchObject({
      event: "validate-settings.invalid",
      errors: ["EmailSettings.ConnectionSecurity"],
    });
  });

  it("connect: true probes the server: banner, extensions, TLS, AUTH methods, login", async () => {
    server = await startSmtpServer({ auth: { username: "probe-user", password: PASSWORD } });
    useEnv(probeSettings(server.port));
    const { result } = await invoke({ connect: true });
    expect(result.probe).toMatchObject({
      ok: true,
      stage: "done",
      server: {
        banner: expect.stringMatching(/^220 /),
        authMethods: ["PLAIN", "LOGIN"],
        tls: { authorized: false },
      },
    });
    expect(result.probe?.timings?.auth).toBeGreaterThanOrEqual(0);
    expect(server.messages).toHaveLength(0);
    expect(result.valid).toBe(true); // the certificate warning is not an error
  });

  it("a failed probe makes the result invalid with the probe's hint as the fix", async () => {
    server = await startSmtpServer({ auth: { username: "probe-user", password: "something-else" } });
    useEnv(probeSettings(server.port));
    const { result, log } = await invoke({ connect: true });
    expect(result.probe).toMatchObject({ ok: false, stage: "auth", error: { responseCode: 535 } });
    expect(result.problems).toContainEqual(
      expect.objectContaining({
        setting: "EmailSettings.SMTPPassword",
        severity: "error",
        fix: expect.stringContaining("access key id"),
      }),
    );
    expect(result.valid).toBe(false);
    expect(log.probe).toEqual({ ok: false, stage: "auth", code: "EAUTH" });
  });

  it("a typo'd key in the event's settings is a warning naming the likely setting", async () => {
    useEnv({
      MM_EMAILSETTINGS_SMTPSERVER: "127.0.0.1",
      MM_EMAILSETTINGS_ENABLESMTPAUTH: "false",
      MM_EMAILSETTINGS_FEEDBACKEMAIL: "notifications@example.org",
    });
    const { result, log } = await invoke({ settings: { EmailSettings: { SMTPServr: "smtp.example.com" } } });
    expect(result.problems).toEqual([
      expect.objectContaining({
        setting: "EmailSettings.SMTPServr",
        severity: "warning",
        source: "override",
        fix: "did you mean EmailSettings.SMTPServer?",
      }),
    ]);
    expect(result.valid).toBe(true);
    expect(log.warnings).toEqual(["EmailSettings.SMTPServr"]);
  });

  it("an invalid event is a problem naming the field", async () => {
    const { result } = await invoke({ connect: "yes" });
    expect(result.valid).toBe(false);
    expect(result.problems[0]).toMatchObject({
      setting: "event",
      message: expect.stringContaining("connect"),
    });
  });
});

describe("validate-settings: unsaved settings and the saved password", () => {
  it("connect: true with a changed server and no password does not probe with the saved password", async () => {
    server = await startSmtpServer({ auth: { username: "probe-user", password: PASSWORD } });
    useEnv(probeSettings(server.port));
    const { result } = await invoke({
      connect: true,
      settings: { EmailSettings: { SMTPServer: "127.0.0.1" } },
    });
    expect(result.probe).toMatchObject({ ok: false, stage: "config", error: { code: "EPASSWORDREQUIRED" } });
    expect(result.problems).toContainEqual(
      expect.objectContaining({
        severity: "error",
        fix: expect.stringMatching(/Re-enter the SMTP password/),
      }),
    );
    expect(server.connections).toBe(0);
  });
});
