import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetParametersByPathCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ALL_AWS_CLIENTS } from "../../../src/aws-clients.ts";
import { createRuntime } from "../../../src/runtime.ts";
import { loadSettings } from "../../../src/settings/load.ts";
import { validateLoadedSettings } from "../../../src/settings/validate.ts";

let dir: string;
async function configFile(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

const ssm = mockClient(SSMClient);
function ssmReturns(values: Record<string, string>) {
  ssm.on(GetParametersByPathCommand).resolves({
    Parameters: Object.entries(values).map(([Name, Value]) => ({ Name, Value, Type: "String" })),
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "herald-load-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(() => {
  ssm.reset();
});

describe("loadSettings precedence: defaults < preset < file < SSM < env < overrides", () => {
  const steps = [
    { layers: [], expected: "localhost", source: "default" },
    { layers: ["preset"], expected: "preset.example.com", source: "preset" },
    { layers: ["preset", "file"], expected: "file.example.com", source: "file" },
    { layers: ["preset", "file", "ssm"], expected: "ssm.example.com", source: "ssm" },
    { layers: ["preset", "file", "ssm", "env"], expected: "env.example.com", source: "env" },
    {
      layers: ["preset", "file", "ssm", "env", "override"],
      expected: "override.example.com",
      source: "override",
    },
    { layers: ["file", "env"], expected: "env.example.com", source: "env" },
    { layers: ["ssm", "file"], expected: "ssm.example.com", source: "ssm" },
  ];

  it.each(steps)("with $layers the server comes from $source", async ({ layers, expected, source }) => {
    ssmReturns({ "/herald/EmailSettings/SMTPServer": "ssm.example.com" });
    const file = await configFile(
      "precedence.json",
      JSON.stringify({ EmailSettings: { SMTPServer: "file.example.com" } }),
    );
    const loaded = await loadSettings({
      env: layers.includes("env") ? { MM_EMAILSETTINGS_SMTPSERVER: "env.example.com" } : {},
      configFile: layers.includes("file") ? file : undefined,
      ssm: layers.includes("ssm") ? { prefix: "/herald", client: new SSMClient({}) } : false,
      preset: layers.includes("preset")
        ? { name: "p", config: { EmailSettings: { SMTPServer: "preset.example.com" } } }
        : undefined,
      overrides: layers.includes("override")
        ? { EmailSettings: { SMTPServer: "override.example.com" } }
        : undefined,
    });
    expect(loaded.settings.EmailSettings.SMTPServer).toBe(expected);
    expect(loaded.origins.get("EmailSettings.SMTPServer")?.source).toBe(source);
  });

  it("reads the config file and SSM prefix named by HERALD_CONFIG_FILE and HERALD_PARAMETER_PREFIX", async () => {
    ssmReturns({ "/team/EmailSettings/SMTPPort": "2587" });
    const file = await configFile(
      "env-named.json",
      JSON.stringify({ EmailSettings: { SMTPServer: "named.example.com" } }),
    );
    // The runtime resolves the two variables into sources, as a Lambda or the CLI does.
    const runtime = createRuntime({
      env: { HERALD_CONFIG_FILE: file, HERALD_PARAMETER_PREFIX: "/team" },
      clients: ALL_AWS_CLIENTS,
    });
    const loaded = await runtime.loadSettings();
    await runtime.close();
    expect(loaded.settings.EmailSettings.SMTPServer).toBe("named.example.com");
    expect(loaded.settings.EmailSettings.SMTPPort).toBe("2587");
    expect(ssm.commandCalls(GetParametersByPathCommand)[0]?.args[0].input.Path).toBe("/team");
  });
});

describe("defaults (Mattermost's SetDefaults)", () => {
  it("fills every field", async () => {
    const { settings, problems } = await loadSettings({ env: {}, ssm: false });
    expect(problems).toEqual([]);
    expect(settings).toEqual({
      EmailSettings: {
        SendEmailNotifications: true,
        EnableSignUpWithEmail: true,
        EnableEmailInvitations: false,
        FeedbackName: "",
        FeedbackEmail: "test@example.com",
        ReplyToAddress: "test@example.com",
        FeedbackOrganization: "",
        SMTPServer: "localhost",
        SMTPPort: "10025",
        EnableSMTPAuth: false,
        SMTPUsername: "",
        SMTPPassword: "",
        ConnectionSecurity: "",
        SkipServerCertificateVerification: false,
        SMTPServerTimeout: 10,
        EnableSecurityFixAlert: true,
      },
      ServiceSettings: { SiteURL: "" },
      TeamSettings: { SiteName: "Herald" },
    });
  });

  it.each([
    { env: { MM_EMAILSETTINGS_CONNECTIONSECURITY: "STARTTLS" }, auth: true },
    { env: { MM_EMAILSETTINGS_CONNECTIONSECURITY: "TLS" }, auth: true },
    { env: { MM_EMAILSETTINGS_CONNECTIONSECURITY: "PLAIN" }, auth: false },
    {
      env: { MM_EMAILSETTINGS_CONNECTIONSECURITY: "TLS", MM_EMAILSETTINGS_ENABLESMTPAUTH: "false" },
      auth: false,
    },
  ])("EnableSMTPAuth defaults from ConnectionSecurity: $env -> $auth", async ({ env, auth }) => {
    const { settings } = await loadSettings({ env, ssm: false });
    expect(settings.EmailSettings.EnableSMTPAuth).toBe(auth);
  });

  it('treats SMTPServer "" and SMTPServerTimeout 0 as the defaults, and PLAIN as ""', async () => {
    const { settings } = await loadSettings({
      env: {
        MM_EMAILSETTINGS_SMTPSERVER: "",
        MM_EMAILSETTINGS_SMTPSERVERTIMEOUT: "0",
        MM_EMAILSETTINGS_CONNECTIONSECURITY: "PLAIN",
      },
      ssm: false,
    });
    expect(settings.EmailSettings.SMTPServer).toBe("localhost");
    expect(settings.EmailSettings.SMTPServerTimeout).toBe(10);
    expect(settings.EmailSettings.ConnectionSecurity).toBe("");
  });
});

describe("values from environment variables and SSM are parsed", () => {
  it.each([
    {
      name: "MM_EMAILSETTINGS_ENABLESMTPAUTH",
      value: "TRUE",
      path: ["EmailSettings", "EnableSMTPAuth"],
      parsed: true,
    },
    {
      name: "MM_EMAILSETTINGS_SENDEMAILNOTIFICATIONS",
      value: " false ",
      path: ["EmailSettings", "SendEmailNotifications"],
      parsed: false,
    },
    {
      name: "MM_EMAILSETTINGS_SMTPSERVERTIMEOUT",
      value: "30",
      path: ["EmailSettings", "SMTPServerTimeout"],
      parsed: 30,
    },
    {
      name: "MM_EMAILSETTINGS_ENABLESECURITYFIXALERT",
      value: "false",
      path: ["EmailSettings", "EnableSecurityFixAlert"],
      parsed: false,
    },
    {
      name: "MM_SERVICESETTINGS_ENABLESECURITYFIXALERT",
      value: "false",
      path: ["EmailSettings", "EnableSecurityFixAlert"],
      parsed: false,
    },
    {
      name: "MM_SERVICESETTINGS_SITEURL",
      value: "https://x.example.com",
      path: ["ServiceSettings", "SiteURL"],
      parsed: "https://x.example.com",
    },
    { name: "MM_TEAMSETTINGS_SITENAME", value: "Acme", path: ["TeamSettings", "SiteName"], parsed: "Acme" },
  ])("$name=$value", async ({ name, value, path, parsed }) => {
    const { settings, problems } = await loadSettings({ env: { [name]: value }, ssm: false });
    expect(problems).toEqual([]);
    const [section, key] = path as [keyof typeof settings, string];
    expect((settings[section] as unknown as Record<string, unknown>)[key]).toBe(parsed);
  });

  it.each([
    {
      name: "MM_EMAILSETTINGS_ENABLESMTPAUTH",
      value: "maybe",
      setting: "EmailSettings.EnableSMTPAuth",
      fix: /true or false/,
    },
    {
      name: "MM_EMAILSETTINGS_SMTPSERVERTIMEOUT",
      value: "ten",
      setting: "EmailSettings.SMTPServerTimeout",
      fix: /whole number/,
    },
    {
      name: "MM_EMAILSETTINGS_SKIPSERVERCERTIFICATEVERIFICATION",
      value: "1",
      setting: "EmailSettings.SkipServerCertificateVerification",
      fix: /true or false/,
    },
  ])(
    "$name=$value is an error naming the variable, and the default stays",
    async ({ name, value, setting, fix }) => {
      const loaded = await loadSettings({ env: { [name]: value }, ssm: false });
      expect(loaded.problems).toEqual([
        expect.objectContaining({
          setting,
          severity: "error",
          source: "env",
          message: expect.stringContaining(name),
          fix: expect.stringMatching(fix),
        }),
      ]);
      expect(loaded.origins.get(setting)?.source).toBe("default");
    },
  );

  it("MM_EMAILSETTINGS_SMTPPORT=abc is a validation error naming the variable", async () => {
    const result = validateLoadedSettings(
      await loadSettings({ env: { MM_EMAILSETTINGS_SMTPPORT: "abc" }, ssm: false }),
    );
    expect(result.valid).toBe(false);
    expect(result.problems).toContainEqual(
      expect.objectContaining({
        setting: "EmailSettings.SMTPPort",
        source: "env",
        message: expect.stringContaining("MM_EMAILSETTINGS_SMTPPORT"),
      }),
    );
  });

  it("an unparseable SSM value names its parameter", async () => {
    ssmReturns({ "/herald/EmailSettings/EnableSMTPAuth": "yes please" });
    const loaded = await loadSettings({ env: {}, ssm: { prefix: "/herald", client: new SSMClient({}) } });
    expect(loaded.problems).toEqual([
      expect.objectContaining({
        setting: "EmailSettings.EnableSMTPAuth",
        source: "ssm",
        message: expect.stringContaining("/herald/EmailSettings/EnableSMTPAuth"),
      }),
    ]);
  });
});

describe("config file", () => {
  it("reads Mattermost's config.json shape and ignores settings Herald does not use", async () => {
    const loaded = await loadSettings({ env: {}, ssm: false, configFile: "examples/mattermost-config.json" });
    expect(loaded.inputErrors).toEqual([]);
    expect(loaded.problems).toEqual([]);
    expect(loaded.settings.EmailSettings.SMTPServer).toBe("email-smtp.eu-west-1.amazonaws.com");
    expect(loaded.settings.TeamSettings.SiteName).toBe("Example Chat");
    expect(loaded.origins.get("EmailSettings.SMTPPort")).toEqual({
      source: "file",
      location: expect.stringContaining("mattermost-config.json"),
    });
  });

  it("accepts a port written as a number", async () => {
    const file = await configFile("numeric-port.json", '{"EmailSettings":{"SMTPPort":587}}');
    const loaded = await loadSettings({ env: {}, ssm: false, configFile: file });
    expect(loaded.settings.EmailSettings.SMTPPort).toBe("587");
  });

  it("a missing file is an input error naming it", async () => {
    const loaded = await loadSettings({ env: {}, ssm: false, configFile: join(dir, "missing.json") });
    expect(loaded.inputErrors).toEqual([
      expect.objectContaining({
        setting: "config",
        message: expect.stringMatching(/missing\.json.*ENOENT/),
        fix: expect.stringContaining("--config"),
      }),
    ]);
    expect(loaded.settings.EmailSettings.SMTPServer).toBe("localhost");
  });

  it("invalid JSON is an input error with the position and without the file's text", async () => {
    const file = await configFile(
      "broken.json",
      '{\n  "EmailSettings": { "SMTPPassword": "hunter2-secret" oops }\n}',
    );
    const loaded = await loadSettings({ env: {}, ssm: false, configFile: file });
    expect(loaded.inputErrors).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/broken\.json is not valid JSON \(line 2/) }),
    ]);
    expect(JSON.stringify(loaded)).not.toContain("hunter2-secret");
  });

  it.each([
    { content: "[]", message: /not a JSON object/ },
    { content: '"text"', message: /not a JSON object/ },
    { content: "", message: /empty/ },
  ])("$content is an input error", async ({ content, message }) => {
    const file = await configFile("shape.json", content);
    const loaded = await loadSettings({ env: {}, ssm: false, configFile: file });
    expect(loaded.inputErrors).toEqual([
      expect.objectContaining({ message: expect.stringMatching(message) }),
    ]);
  });

  it("an EmailSettings that is not an object is a problem; the other sections still load", async () => {
    const file = await configFile(
      "section.json",
      JSON.stringify({ EmailSettings: "smtp.example.com", TeamSettings: { SiteName: "Kept" } }),
    );
    const loaded = await loadSettings({ env: {}, ssm: false, configFile: file });
    expect(loaded.problems).toEqual([
      expect.objectContaining({
        setting: "EmailSettings",
        severity: "error",
        source: "file",
        message: expect.stringContaining("not an object"),
      }),
    ]);
    expect(loaded.settings.TeamSettings.SiteName).toBe("Kept");
  });

  it("a value of the wrong type names the file and the setting, without showing a password", async () => {
    const file = await configFile(
      "types.json",
      JSON.stringify({
        EmailSettings: { EnableSMTPAuth: "sometimes", SMTPPassword: { value: "hunter2-secret" } },
      }),
    );
    const loaded = await loadSettings({ env: {}, ssm: false, configFile: file });
    expect(loaded.problems.map((p) => p.setting).sort()).toEqual([
      "EmailSettings.EnableSMTPAuth",
      "EmailSettings.SMTPPassword",
    ]);
    expect(loaded.problems[0]?.message).toContain("types.json");
    expect(JSON.stringify(loaded.problems)).not.toContain("hunter2-secret");
  });
});
