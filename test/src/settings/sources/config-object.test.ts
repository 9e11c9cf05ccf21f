import { describe, expect, it } from "vitest";
import { loadSettings } from "../../../../src/settings/load.ts";
import { validateLoadedSettings } from "../../../../src/settings/validate.ts";

async function withOverrides(overrides: unknown) {
  return loadSettings({ env: {}, ssm: false, overrides });
}

describe("keys an event's settings give that are not settings", () => {
  it.each([
    {
      overrides: { EmailSettings: { SMTPServr: "smtp.example.com" } },
      key: "EmailSettings.SMTPServr",
      suggestion: "EmailSettings.SMTPServer",
    },
    {
      overrides: { EmailSettings: { smtpport: "587" } },
      key: "EmailSettings.smtpport",
      suggestion: "EmailSettings.SMTPPort",
    },
    {
      overrides: { EmailSettings: { SiteURL: "https://x.example.com" } },
      key: "EmailSettings.SiteURL",
      suggestion: "ServiceSettings.SiteURL",
    },
    {
      overrides: { EmailSetting: { SMTPServer: "smtp.example.com" } },
      key: "EmailSetting",
      suggestion: "EmailSettings",
    },
    {
      overrides: { EmailSettings: { Frobnicate: true } },
      key: "EmailSettings.Frobnicate",
      suggestion: undefined,
    },
  ])("$key is a warning, with a suggestion when one is close", async ({ overrides, key, suggestion }) => {
    const loaded = await withOverrides(overrides);
    expect(loaded.problems).toEqual([
      expect.objectContaining({
        setting: key,
        severity: "warning",
        source: "override",
        code: "EUNKNOWNSETTING",
        message: expect.stringContaining("ignored"),
      }),
    ]);
    if (suggestion) expect(loaded.problems[0]?.fix).toBe(`did you mean ${suggestion}?`);
    else expect(loaded.problems[0]?.fix).not.toMatch(/did you mean/);
    // A warning: the settings stay valid, and the saved value stays in force.
    expect(validateLoadedSettings(loaded).valid).toBe(true);
    expect(loaded.settings.EmailSettings.SMTPServer).toBe("localhost");
  });

  it("known keys and the alias are not warnings", async () => {
    const loaded = await withOverrides({
      EmailSettings: { SMTPServer: "smtp.example.com", EnableSecurityFixAlert: true },
      ServiceSettings: { EnableSecurityFixAlert: true, SiteURL: "" },
      TeamSettings: { SiteName: "Acme" },
    });
    expect(loaded.problems).toEqual([]);
  });

  it("a config file may carry all of Mattermost's other settings without a word", async () => {
    const loaded = await loadSettings({ env: {}, ssm: false, configFile: "examples/mattermost-config.json" });
    expect(loaded.problems).toEqual([]);
  });
});
