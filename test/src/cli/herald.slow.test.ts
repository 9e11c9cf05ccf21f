import { describe, expect, it } from "vitest";
import { dirname } from "node:path";
import { projectRoot, runHerald as herald } from "../../helpers/run-herald.ts";

describe("herald CLI", () => {
  it("validate --config examples/mattermost-config.json --json prints the validation result shape", async () => {
    const run = await herald(["validate", "--config", "examples/mattermost-config.json", "--json"]);
    const result = JSON.parse(run.stdout);
    expect(Object.keys(result)).toEqual(["valid", "problems", "settings"]);
    expect(result.settings.EmailSettings.SMTPServer).toBe("email-smtp.eu-west-1.amazonaws.com");
    for (const problem of result.problems) {
      expect(Object.keys(problem)).toEqual(
        expect.arrayContaining(["setting", "severity", "message", "fix", "source"]),
      );
    }
    expect(run.code).toBe(result.valid ? 0 : 1);
  });

  it("credentials without TLS: exit 1, an error on ConnectionSecurity, and no password in the output", async () => {
    const run = await herald(["validate", "--json"], {
      MM_EMAILSETTINGS_SMTPUSERNAME: "u",
      MM_EMAILSETTINGS_SMTPPASSWORD: "secret",
    });
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout);
    expect(result.problems).toContainEqual(
      expect.objectContaining({ setting: "EmailSettings.ConnectionSecurity", severity: "error" }),
    );
    expect(run.stdout + run.stderr).not.toContain("secret");
    expect(result.settings.EmailSettings.SMTPPassword).toBe("*".repeat(32));
  });

  it("valid settings exit 0 with a readable summary and the server, port and security in effect", async () => {
    const run = await herald(["validate"], {
      MM_EMAILSETTINGS_SMTPSERVER: "127.0.0.1",
      MM_EMAILSETTINGS_SMTPPORT: "2525",
      MM_EMAILSETTINGS_FEEDBACKEMAIL: "notifications@example.org",
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      "Settings valid: 0 errors, 0 warnings\n" +
        "  in effect: 127.0.0.1:2525, no TLS, no login, from notifications@example.org\n",
    );
    const ses = await herald(["validate", "--config", "examples/mattermost-config.json"], {
      MM_EMAILSETTINGS_SMTPPASSWORD: "secret",
    });
    expect(ses.code).toBe(0);
    expect(ses.stdout).toMatch(
      /^ {2}in effect: email-smtp\.eu-west-1\.amazonaws\.com:587, STARTTLS, login as \S+, from \S+@/m,
    );
    expect(ses.stdout).not.toContain("secret");
  });

  it("warns when the sender is still the placeholder test@example.com", async () => {
    const run = await herald(["validate"], { MM_EMAILSETTINGS_SMTPSERVER: "127.0.0.1" });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Settings valid: 0 errors, 1 warning\n/);
    expect(run.stdout).toMatch(
      /warning EmailSettings\.FeedbackEmail \[default\]\n.*still the placeholder test@example\.com/,
    );
  });

  it("warns about MM_EMAILSETTINGS_ / MM_SERVICESETTINGS_ variables that are not settings, with the likely one", async () => {
    const run = await herald(["validate", "--json"], {
      MM_EMAILSETTINGS_FEEDBACKEMAIL: "notifications@example.org",
      MM_EMAILSETTINGS_SMTPSERVR: "smtp.example.org",
      MM_SERVICESETTINGS_LISTENADDRESS: ":8065",
      MM_OTHERSETTINGS_ANYTHING: "not Herald's section",
    });
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.problems).toEqual([
      expect.objectContaining({
        setting: "MM_EMAILSETTINGS_SMTPSERVR",
        severity: "warning",
        code: "EUNKNOWNSETTING",
        source: "env",
        fix: "did you mean MM_EMAILSETTINGS_SMTPSERVER?",
      }),
      expect.objectContaining({
        setting: "MM_SERVICESETTINGS_LISTENADDRESS",
        severity: "warning",
        fix: expect.stringContaining("Mattermost's own settings"),
      }),
    ]);
    // the typo is ignored: the default server stays in force
    expect(result.settings.EmailSettings.SMTPServer).toBe("localhost");
  });

  it("a bad environment value names the variable", async () => {
    const run = await herald(["validate"], {
      MM_EMAILSETTINGS_ENABLESMTPAUTH: "maybe",
      MM_EMAILSETTINGS_SMTPPORT: "abc",
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("MM_EMAILSETTINGS_ENABLESMTPAUTH");
    expect(run.stdout).toContain("MM_EMAILSETTINGS_SMTPPORT");
  });

  it("an unreadable config file exits 2 naming the file", async () => {
    const run = await herald(["validate", "--config", "no/such/config.json"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain("no/such/config.json");
  });

  it.each([
    { args: ["validate", "--bogus"], message: /bogus/ },
    { args: ["validate", "--preset", "carrier-pigeon"], message: /unknown preset/ },
    { args: ["validate", "--preset", "amazon-ses"], message: /needs a region/ },
    { args: ["frobnicate"], message: /unknown command/ },
  ])("usage error $args exits 2", async ({ args, message }) => {
    const run = await herald(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it("--preset amazon-ses --region fills the SES endpoint", async () => {
    const run = await herald(["validate", "--preset", "amazon-ses", "--region", "eu-central-1", "--json"]);
    const result = JSON.parse(run.stdout);
    expect(result.settings.EmailSettings).toMatchObject({
      SMTPServer: "email-smtp.eu-central-1.amazonaws.com",
      SMTPPort: "465",
      ConnectionSecurity: "TLS",
      EnableSMTPAuth: true,
    });
    expect(run.code).toBe(1); // no credentials yet
  });

  it("presets lists the five providers", async () => {
    const run = await herald(["presets", "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).map((p: { name: string }) => p.name)).toEqual([
      "amazon-ses",
      "postfix",
      "gmail",
      "hotmail",
      "office365",
    ]);
  });

  it.each([["--help"], ["validate", "--help"], ["presets", "--help"]])(
    "%s prints usage and exits 0",
    async (...args) => {
      const run = await herald(args);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/Usage: herald/);
    },
  );

  it("stops quietly when its output pipe closes early", async () => {
    const { execFile } = await import("node:child_process");
    const run = await new Promise<{ stderr: string }>((resolve) => {
      const child = execFile(
        "/bin/sh",
        ["-c", "node_modules/.bin/herald presets | head -c 10 > /dev/null"],
        { cwd: projectRoot, env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` } },
        (_error, _stdout, stderr) => resolve({ stderr }),
      );
      child.stdin?.end();
    });
    expect(run.stderr).not.toMatch(/EPIPE|Unhandled/);
  });
});
