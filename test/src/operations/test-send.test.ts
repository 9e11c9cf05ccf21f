import { afterEach, describe, expect, it } from "vitest";
import { testSend } from "../../../src/operations/test-send.ts";
import { loadSettings, type LoadSettingsOptions } from "../../../src/settings/load.ts";
import { smtpConnectionOptions } from "../../../src/smtp/options.ts";
import { startRawGreetingServer } from "../../helpers/echo-servers.ts";
import { startSmtpServer } from "../../helpers/smtp-servers.ts";

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** Clear text, no login, to a loopback server. */
function sources(port: number, extra: Record<string, string> = {}): LoadSettingsOptions {
  return {
    ssm: false,
    env: {
      MM_EMAILSETTINGS_SMTPSERVER: "127.0.0.1",
      MM_EMAILSETTINGS_SMTPPORT: String(port),
      MM_EMAILSETTINGS_FEEDBACKEMAIL: "herald@example.com",
      MM_EMAILSETTINGS_SMTPSERVERTIMEOUT: "3",
      ...extra,
    },
  };
}

describe("testSend", () => {
  it("a typo'd key in the event's settings is a warning in the report, with the likely setting", async () => {
    const server = await startSmtpServer({ starttls: false });
    close = server.close;
    const report = await testSend(
      { to: "a@example.com", settings: { EmailSettings: { SMTPServr: "elsewhere.example.com" } } },
      { sources: sources(server.port) },
    );
    // The typo changed nothing: the saved server got the message.
    expect(report).toMatchObject({ ok: true, stage: "done" });
    expect(server.messages).toHaveLength(1);
    expect(report.warnings).toEqual([
      expect.objectContaining({
        setting: "EmailSettings.SMTPServr",
        severity: "warning",
        fix: "did you mean EmailSettings.SMTPServer?",
      }),
    ]);
  });

  it("no warnings field when the event's settings are all known", async () => {
    const server = await startSmtpServer({ starttls: false });
    close = server.close;
    const report = await testSend(
      { to: "a@example.com", settings: { EmailSettings: { FeedbackName: "Known" } } },
      { sources: sources(server.port) },
    );
    expect(report.ok).toBe(true);
    expect(report).not.toHaveProperty("warnings");
  });

  it("a server that does not speak SMTP: EPROTOCOL at the greeting, with a hint about the port", async () => {
    const server = await startRawGreetingServer("HTTP/1.1 400 Bad Request\r\n\r\n");
    close = server.close;
    const report = await testSend({ to: "a@example.com" }, { sources: sources(server.port) });
    expect(report).toMatchObject({
      ok: false,
      stage: "greeting",
      error: { code: "EPROTOCOL", retryable: false },
    });
    expect(report.hint).toMatch(/not SMTP.*SMTPServer and SMTPPort/);
  });

  it("an IPv6 literal in brackets connects (here the IPv4-mapped form of 127.0.0.1)", async () => {
    const server = await startSmtpServer({ starttls: false });
    close = server.close;
    const report = await testSend(
      { to: "a@example.com" },
      { sources: sources(server.port, { MM_EMAILSETTINGS_SMTPSERVER: "[::ffff:127.0.0.1]" }) },
    );
    expect(report).toMatchObject({ ok: true, stage: "done" });
    expect(server.messages).toHaveLength(1);
  });

  it.each(["[::1]", "::1"])("%s is connected to as ::1", async (host) => {
    const { settings } = await loadSettings({ env: { MM_EMAILSETTINGS_SMTPSERVER: host }, ssm: false });
    expect(smtpConnectionOptions(settings).host).toBe("::1");
  });

  it("a timeout past an hour is refused with the cap in the fix", async () => {
    const report = await testSend(
      { to: "a@example.com" },
      { sources: sources(2, { MM_EMAILSETTINGS_SMTPSERVERTIMEOUT: "2147484" }) },
    );
    expect(report).toMatchObject({ ok: false, stage: "config", error: { code: "ETIMEOUTSETTING" } });
    expect(report.error?.message).toMatch(/2147484 .*more than 3600 seconds/);
    expect(report.hint).toMatch(/at most 3600 seconds/);
  });

  it.each(["", "   ", "not-an-address", "a@example.com\nBcc: b@example.com"])(
    "to %j is refused before connecting",
    async (to) => {
      const report = await testSend({ to }, { sources: sources(2) });
      expect(report).toMatchObject({ ok: false, stage: "config", error: { code: "ERECIPIENT" } });
    },
  );
});
