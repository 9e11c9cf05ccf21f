import { describe, expect, it } from "vitest";
import { loadSettings } from "../../../src/settings/load.ts";
import { smtpConnectionOptions } from "../../../src/smtp/options.ts";

async function settingsFrom(env: Record<string, string | undefined>) {
  return (await loadSettings({ env, ssm: false })).settings;
}

describe("smtpConnectionOptions follows ConnectionSecurity exactly", () => {
  it.each([
    { security: "TLS", secure: true, requireTLS: false, ignoreTLS: false },
    { security: "STARTTLS", secure: false, requireTLS: true, ignoreTLS: false },
    { security: "", secure: false, requireTLS: false, ignoreTLS: true },
  ])('"$security"', async ({ security, ...expected }) => {
    const options = smtpConnectionOptions(
      await settingsFrom({ MM_EMAILSETTINGS_CONNECTIONSECURITY: security }),
    );
    expect(options).toMatchObject({ ...expected, opportunisticTLS: false });
  });

  it("bounds every stage by SMTPServerTimeout, verifies certificates and uses SMTPServer for SNI", async () => {
    const options = smtpConnectionOptions(
      await settingsFrom({
        MM_EMAILSETTINGS_SMTPSERVER: "smtp.example.com",
        MM_EMAILSETTINGS_SMTPSERVERTIMEOUT: "7",
        MM_SERVICESETTINGS_SITEURL: "https://chat.example.org:8065/team",
      }),
    );
    expect(options).toMatchObject({
      host: "smtp.example.com",
      connectionTimeout: 7000,
      greetingTimeout: 7000,
      socketTimeout: 7000,
      dnsTimeout: 7000,
      name: "chat.example.org",
      tls: { rejectUnauthorized: true, servername: "smtp.example.com" },
    });
  });

  it("skips verification only when told, and sends no SNI for an IP address", async () => {
    const options = smtpConnectionOptions(
      await settingsFrom({
        MM_EMAILSETTINGS_SMTPSERVER: "127.0.0.1",
        MM_EMAILSETTINGS_SKIPSERVERCERTIFICATEVERIFICATION: "true",
      }),
    );
    expect(options.tls?.rejectUnauthorized).toBe(false);
    expect(options.tls?.servername).toBeUndefined();
    expect(options.name).toBeUndefined();
  });

  it("never carries credentials", async () => {
    const options = smtpConnectionOptions(
      await settingsFrom({ MM_EMAILSETTINGS_SMTPUSERNAME: "u", MM_EMAILSETTINGS_SMTPPASSWORD: "p4ssw0rd-x" }),
    );
    expect(JSON.stringify(options)).not.toContain("p4ssw0rd-x");
  });
});
