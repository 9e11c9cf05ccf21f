import { describe, expect, it } from "vitest";
import { loadSettings } from "../../../src/settings/load.ts";
import { validateLoadedSettings } from "../../../src/settings/validate.ts";

/** A configuration with no problems at all; each case changes a few values. */
const GOOD = {
  EmailSettings: {
    SMTPServer: "smtp.example.com",
    SMTPPort: "587",
    ConnectionSecurity: "STARTTLS",
    EnableSMTPAuth: true,
    SMTPUsername: "user",
    SMTPPassword: "pa55word-value",
    FeedbackName: "Example",
    FeedbackEmail: "notifications@example.com",
    ReplyToAddress: "reply@example.com",
  },
  ServiceSettings: { SiteURL: "https://chat.example.com" },
};

async function validate(email: Record<string, unknown>, service: Record<string, unknown> = {}, team = {}) {
  const loaded = await loadSettings({
    env: {},
    ssm: false,
    overrides: {
      EmailSettings: { ...GOOD.EmailSettings, ...email },
      ServiceSettings: { ...GOOD.ServiceSettings, ...service },
      TeamSettings: team,
    },
  });
  return validateLoadedSettings(loaded);
}

describe("validateLoadedSettings", () => {
  it("finds nothing wrong with a good configuration", async () => {
    const result = await validate({});
    expect(result.problems).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("does not mind the placeholder sender while sending is off", async () => {
    const result = await validate({ FeedbackEmail: "test@example.com", SendEmailNotifications: false });
    expect(result.problems.map((problem) => problem.code)).not.toContain("EPLACEHOLDERSENDER");
  });

  it("warns about port 25 for a remote server only: Lambda never reaches a loopback one", async () => {
    const codes = async (server: string) =>
      (await validate({ SMTPServer: server, SMTPPort: "25" })).problems.map((problem) => problem.code);
    expect(await codes("smtp.example.com")).toContain("EPORT25");
    for (const loopback of ["localhost", "127.0.0.1", "::1"]) {
      expect(await codes(loopback)).not.toContain("EPORT25");
    }
  });

  const cases: Array<{
    name: string;
    email?: Record<string, unknown>;
    service?: Record<string, unknown>;
    team?: Record<string, unknown>;
    setting: string;
    severity: "error" | "warning";
    message: RegExp;
    /** the source of the flagged setting's value */
    source?: string;
  }> = [
    {
      name: "unknown ConnectionSecurity",
      email: { ConnectionSecurity: "SSL" },
      setting: "EmailSettings.ConnectionSecurity",
      severity: "error",
      message: /not one of/,
    },
    {
      name: "credentials without TLS",
      email: { ConnectionSecurity: "" },
      setting: "EmailSettings.ConnectionSecurity",
      severity: "error",
      message: /unencrypted/,
    },
    {
      name: "credentials with PLAIN (means none)",
      email: { ConnectionSecurity: "PLAIN" },
      setting: "EmailSettings.ConnectionSecurity",
      severity: "error",
      message: /unencrypted/,
    },
    {
      name: "auth without username",
      email: { SMTPUsername: "" },
      setting: "EmailSettings.SMTPUsername",
      severity: "error",
      message: /SMTPUsername is empty/,
    },
    {
      name: "auth without password",
      email: { SMTPPassword: "" },
      setting: "EmailSettings.SMTPPassword",
      severity: "error",
      message: /SMTPPassword is empty/,
    },
    {
      name: "password with auth off",
      email: { EnableSMTPAuth: false },
      setting: "EmailSettings.EnableSMTPAuth",
      severity: "warning",
      message: /no login/,
    },
    {
      name: "port not a number",
      email: { SMTPPort: "smtp" },
      setting: "EmailSettings.SMTPPort",
      severity: "error",
      message: /not a port number/,
    },
    {
      name: "port zero",
      email: { SMTPPort: "0" },
      setting: "EmailSettings.SMTPPort",
      severity: "error",
      message: /1\.\.65535/,
    },
    {
      name: "port too large",
      email: { SMTPPort: "65536" },
      setting: "EmailSettings.SMTPPort",
      severity: "error",
      message: /1\.\.65535/,
    },
    {
      name: "negative timeout",
      email: { SMTPServerTimeout: -5 },
      setting: "EmailSettings.SMTPServerTimeout",
      severity: "error",
      message: /positive/,
    },
    {
      name: "server with scheme",
      email: { SMTPServer: "smtp://mail.example.com" },
      setting: "EmailSettings.SMTPServer",
      severity: "error",
      message: /not a valid host/,
    },
    {
      name: "server with port",
      email: { SMTPServer: "mail.example.com:587" },
      setting: "EmailSettings.SMTPServer",
      severity: "error",
      message: /not a valid host/,
    },
    {
      name: "blank server",
      email: { SMTPServer: "   " },
      setting: "EmailSettings.SMTPServer",
      severity: "error",
      message: /not a valid host/,
    },
    {
      name: "bad FeedbackEmail",
      email: { FeedbackEmail: "Example <n@example.com>" },
      setting: "EmailSettings.FeedbackEmail",
      severity: "error",
      message: /not a valid email/,
    },
    {
      name: "bad ReplyToAddress",
      email: { ReplyToAddress: "nobody" },
      setting: "EmailSettings.ReplyToAddress",
      severity: "error",
      message: /not a valid email/,
    },
    {
      name: "CR/LF in FeedbackName",
      email: { FeedbackName: "Ex\r\nBcc: victim@example.org" },
      setting: "EmailSettings.FeedbackName",
      severity: "error",
      message: /line break/,
    },
    {
      name: "CR/LF in FeedbackEmail",
      email: { FeedbackEmail: "a@example.com\nBcc: b@example.com" },
      setting: "EmailSettings.FeedbackEmail",
      severity: "error",
      message: /line break/,
    },
    {
      name: "CR/LF in SiteName",
      team: { SiteName: "Site\r\nX: y" },
      setting: "TeamSettings.SiteName",
      severity: "error",
      message: /line break/,
    },
    {
      name: "SiteURL not a URL",
      service: { SiteURL: "chat.example.com" },
      setting: "ServiceSettings.SiteURL",
      severity: "error",
      message: /not an http/,
    },
    {
      name: "TLS on 587",
      email: { ConnectionSecurity: "TLS" },
      setting: "EmailSettings.ConnectionSecurity",
      severity: "warning",
      message: /wrong version number/,
    },
    {
      name: "TLS on 2587",
      email: { ConnectionSecurity: "TLS", SMTPPort: "2587" },
      setting: "EmailSettings.ConnectionSecurity",
      severity: "warning",
      message: /wrong version number/,
    },
    {
      name: "STARTTLS on 465",
      email: { SMTPPort: "465" },
      setting: "EmailSettings.ConnectionSecurity",
      severity: "warning",
      message: /implicit TLS/,
    },
    {
      name: "STARTTLS on 2465",
      email: { SMTPPort: "2465" },
      setting: "EmailSettings.ConnectionSecurity",
      severity: "warning",
      message: /implicit TLS/,
    },
    {
      name: "port 25 from Lambda",
      email: { SMTPPort: "25" },
      setting: "EmailSettings.SMTPPort",
      severity: "warning",
      message: /blocked/,
    },
    {
      name: "skip certificate verification",
      email: { SkipServerCertificateVerification: true },
      setting: "EmailSettings.SkipServerCertificateVerification",
      severity: "warning",
      message: /not verified/,
    },
    {
      name: "clear text to a remote host",
      email: { ConnectionSecurity: "", EnableSMTPAuth: false, SMTPUsername: "", SMTPPassword: "" },
      setting: "EmailSettings.ConnectionSecurity",
      severity: "warning",
      message: /clear text/,
    },
    {
      name: "security alerts without email",
      email: { SendEmailNotifications: false },
      setting: "EmailSettings.EnableSecurityFixAlert",
      severity: "warning",
      message: /will not be emailed/,
      source: "default",
    },
    {
      name: "sender still the placeholder",
      email: { FeedbackEmail: "test@example.com" },
      setting: "EmailSettings.FeedbackEmail",
      severity: "warning",
      message: /still the placeholder test@example\.com/,
    },
    {
      name: "SES endpoint in a region without SMTP",
      email: { SMTPServer: "email-smtp.xx-nowhere-9.amazonaws.com" },
      setting: "EmailSettings.SMTPServer",
      severity: "warning",
      message: /no SMTP endpoint/,
    },
    {
      name: "SES endpoint without TLS",
      email: {
        SMTPServer: "email-smtp.eu-west-1.amazonaws.com",
        ConnectionSecurity: "",
        EnableSMTPAuth: false,
        SMTPUsername: "",
        SMTPPassword: "",
      },
      setting: "EmailSettings.ConnectionSecurity",
      severity: "warning",
      message: /requires TLS/,
    },
  ];

  it.each(cases)(
    "$name -> $severity on $setting",
    async ({ email = {}, service = {}, team = {}, setting, severity, message, source = "override" }) => {
      const result = await validate(email, service, team);
      const match = result.problems.find(
        (p) => p.setting === setting && p.severity === severity && message.test(p.message),
      );
      expect(match, JSON.stringify(result.problems, null, 2)).toBeDefined();
      expect(match?.fix.length).toBeGreaterThan(10);
      expect(match?.source).toBe(source);
      expect(result.valid).toBe(
        severity === "warning" ? !result.problems.some((p) => p.severity === "error") : false,
      );
    },
  );

  it("reports every problem at once", async () => {
    const result = await validate({
      ConnectionSecurity: "SSL",
      SMTPPort: "x",
      FeedbackEmail: "bad",
      SMTPServerTimeout: -1,
    });
    const settings = result.problems.filter((p) => p.severity === "error").map((p) => p.setting);
    expect(settings).toEqual(
      expect.arrayContaining([
        "EmailSettings.ConnectionSecurity",
        "EmailSettings.SMTPPort",
        "EmailSettings.FeedbackEmail",
        "EmailSettings.SMTPServerTimeout",
      ]),
    );
  });

  it("a bad server with notifications off is only a warning: nothing is sent, but nothing can connect", async () => {
    const result = await validate({
      SendEmailNotifications: false,
      EnableSecurityFixAlert: false,
      SMTPServer: "not a host",
    });
    expect(result.problems).toEqual([
      expect.objectContaining({ setting: "EmailSettings.SMTPServer", severity: "warning", code: "EHOST" }),
    ]);
    expect(result.valid).toBe(true);
  });

  it("accepts loopback clear text with no credentials (a local relay)", async () => {
    const result = await validate({
      SMTPServer: "127.0.0.1",
      SMTPPort: "25",
      ConnectionSecurity: "",
      EnableSMTPAuth: false,
      SMTPUsername: "",
      SMTPPassword: "",
    });
    expect(result.problems).toEqual([]);
  });

  it("shows the password only as 32 asterisks", async () => {
    const result = await validate({});
    expect(result.settings.EmailSettings.SMTPPassword).toBe("*".repeat(32));
    expect(JSON.stringify(result)).not.toContain("pa55word-value");
  });
});
