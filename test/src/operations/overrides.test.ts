import { SESv2Client } from "@aws-sdk/client-sesv2";
// Mattermost's re-enter-password rule, for every setting: unsaved settings that change where
// the saved password would go need it re-entered.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MASKED_SECRET } from "../../../src/constants.ts";
import { loadWithOverrides, PASSWORD_GUARDS } from "../../../src/operations/overrides.ts";
import { testSend } from "../../../src/operations/test-send.ts";
import { validateSettings } from "../../../src/operations/validate-settings.ts";
import { loadSettings, type LoadSettingsOptions } from "../../../src/settings/load.ts";
import { getSetting, SETTINGS, type SettingDefinition } from "../../../src/settings/model.ts";
import { startSmtpServer, type TestSmtpServer } from "../../helpers/smtp-servers.ts";

const PASSWORD = "Saved-Secret-Pa55word";

/** What the rule must say for each setting; every other setting may change freely. */
const EXPECTED_GUARDS: Record<string, "change" | "enable"> = {
  "EmailSettings.SMTPServer": "change",
  "EmailSettings.SMTPPort": "change",
  "EmailSettings.SMTPUsername": "change",
  "EmailSettings.ConnectionSecurity": "change",
  "EmailSettings.SkipServerCertificateVerification": "enable",
};

function savedSources(extra: Record<string, string> = {}): LoadSettingsOptions {
  return {
    ssm: false,
    env: {
      MM_EMAILSETTINGS_SMTPSERVER: "smtp.example.com",
      MM_EMAILSETTINGS_SMTPPORT: "587",
      MM_EMAILSETTINGS_CONNECTIONSECURITY: "STARTTLS",
      MM_EMAILSETTINGS_SMTPUSERNAME: "saved-user",
      MM_EMAILSETTINGS_SMTPPASSWORD: PASSWORD,
      MM_EMAILSETTINGS_FEEDBACKEMAIL: "herald@example.com",
      ...extra,
    },
  };
}

/** A value of the setting's type that differs from `current`. */
function differentValue(def: SettingDefinition, current: unknown): unknown {
  if (def.kind === "bool") return !current;
  if (def.kind === "int") return Number(current) + 1;
  if (def.path === "EmailSettings.ConnectionSecurity") return current === "TLS" ? "STARTTLS" : "TLS";
  if (def.path === "EmailSettings.SMTPPort") return "2587";
  if (def.path === "ServiceSettings.SiteURL") return "https://other.example.com";
  if (/Email|Address/.test(def.key)) return "other@example.com";
  return `${String(current)}-other`.replace(/^-/, "other");
}

const override = (def: SettingDefinition, value: unknown) => ({ [def.section]: { [def.key]: value } });

describe("the re-enter-password rule covers every setting", () => {
  it("tags exactly the settings that decide where the password goes", () => {
    expect(Object.fromEntries(PASSWORD_GUARDS.map((def) => [def.path, def.guardsPassword]))).toEqual(
      EXPECTED_GUARDS,
    );
  });

  const settings = SETTINGS.filter((def) => def.path !== "EmailSettings.SMTPPassword");

  it.each(settings.map((def) => [def.path, def] as const))("changing %s", async (path, def) => {
    const saved = await loadSettings(savedSources());
    const value = differentValue(def, getSetting(saved.settings, def));
    const { effective, passwordRefusal } = await loadWithOverrides(
      savedSources(),
      override(def, value),
      saved,
    );
    expect(getSetting(effective.settings, def), "the override took effect").toEqual(value);
    const guard = EXPECTED_GUARDS[path];
    const needsPassword = guard === "change" || (guard === "enable" && value === true);
    expect(passwordRefusal?.code).toBe(needsPassword ? "EPASSWORDREQUIRED" : undefined);
    if (passwordRefusal) expect(passwordRefusal.message).toContain(def.key);
    // The masked password the console sends back means "keep the saved one": still refused.
    const masked = await loadWithOverrides(
      savedSources(),
      {
        ...override(def, value),
        EmailSettings: { ...override(def, value).EmailSettings, SMTPPassword: MASKED_SECRET },
      },
      saved,
    );
    expect(masked.passwordRefusal?.code).toBe(needsPassword ? "EPASSWORDREQUIRED" : undefined);
    // A re-entered password is used.
    const reentered = await loadWithOverrides(
      savedSources(),
      {
        ...override(def, value),
        EmailSettings: { ...override(def, value).EmailSettings, SMTPPassword: "new-one" },
      },
      saved,
    );
    expect(reentered.passwordRefusal).toBeUndefined();
  });

  it("turning certificate verification back on needs no password", async () => {
    const sources = savedSources({ MM_EMAILSETTINGS_SKIPSERVERCERTIFICATEVERIFICATION: "true" });
    const { passwordRefusal } = await loadWithOverrides(sources, {
      EmailSettings: { SkipServerCertificateVerification: false },
    });
    expect(passwordRefusal).toBeUndefined();
  });

  it("no saved password: nothing to protect", async () => {
    const { passwordRefusal } = await loadWithOverrides(savedSources({ MM_EMAILSETTINGS_SMTPPASSWORD: "" }), {
      EmailSettings: { SMTPServer: "elsewhere.example.com" },
    });
    expect(passwordRefusal).toBeUndefined();
  });
});

describe("test-send and validate-settings with connect refuse before connecting", () => {
  let server: TestSmtpServer;
  beforeAll(async () => {
    server = await startSmtpServer({ auth: { username: "saved-user", password: PASSWORD } });
  });
  afterAll(() => server.close());

  const sources = () =>
    savedSources({
      MM_EMAILSETTINGS_SMTPSERVER: "localhost",
      MM_EMAILSETTINGS_SMTPPORT: String(server.port),
      MM_EMAILSETTINGS_SKIPSERVERCERTIFICATEVERIFICATION: "false",
    });

  it.each([
    { name: "certificate checks turned off", settings: { SkipServerCertificateVerification: true } },
    { name: "another ConnectionSecurity", settings: { ConnectionSecurity: "TLS" } },
  ])("$name without the password", async ({ settings }) => {
    const before = server.connections;
    const sent = await testSend(
      { to: "a@example.com", settings: { EmailSettings: settings } },
      { sources: sources() },
    );
    expect(sent).toMatchObject({ ok: false, stage: "config", error: { code: "EPASSWORDREQUIRED" } });
    expect(sent.hint).toMatch(/Re-enter the SMTP password/);
    const validated = await validateSettings(
      { connect: true, settings: { EmailSettings: settings } },
      { sources: sources(), transport: "smtp", sesClient: () => new SESv2Client({}) },
    );
    expect(validated.probe).toMatchObject({
      ok: false,
      stage: "config",
      error: { code: "EPASSWORDREQUIRED" },
    });
    expect(validated.valid).toBe(false);
    // The problem names the setting to fix and the rule, as validation's own problems do.
    expect(validated.problems).toContainEqual(
      expect.objectContaining({ setting: "EmailSettings.SMTPPassword", code: "EPASSWORDREQUIRED" }),
    );
    expect(server.connections).toBe(before);
  });

  it("certificate checks turned off with the password re-entered: it connects and sends", async () => {
    const sent = await testSend(
      {
        to: "a@example.com",
        settings: { EmailSettings: { SkipServerCertificateVerification: true, SMTPPassword: PASSWORD } },
      },
      { sources: sources() },
    );
    expect(sent).toMatchObject({ ok: true, stage: "done" });
  });
});
