// One registry of rules (settings/validate.ts): the pre-connect check is its subset tagged as
// blocking a connection or a login, so validate, probe and test-send agree on when it is
// safe to connect, with the same codes and fixes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testSend } from "../../../src/operations/test-send.ts";
import { loadSettings } from "../../../src/settings/load.ts";
import { blockingProblems, loginBlockers, validateLoadedSettings } from "../../../src/settings/validate.ts";
import { checkBeforeConnecting } from "../../../src/smtp/preflight.ts";
import { runSmtpSession } from "../../../src/smtp/session.ts";
import { startSmtpServer, type TestSmtpServer } from "../../helpers/smtp-servers.ts";

async function settingsFrom(env: Record<string, string | undefined>) {
  return (await loadSettings({ env, ssm: false })).settings;
}

describe("checkBeforeConnecting", () => {
  const creds = { MM_EMAILSETTINGS_SMTPUSERNAME: "u", MM_EMAILSETTINGS_SMTPPASSWORD: "secret-value" };
  it.each([
    { name: "bad host", env: { MM_EMAILSETTINGS_SMTPSERVER: "http://x" }, login: false, code: "EHOST" },
    { name: "bad port", env: { MM_EMAILSETTINGS_SMTPPORT: "0" }, login: false, code: "EPORT" },
    {
      name: "bad security",
      env: { MM_EMAILSETTINGS_CONNECTIONSECURITY: "SSL" },
      login: false,
      code: "ESECURITY",
    },
    {
      name: "a timeout setTimeout cannot hold",
      env: { MM_EMAILSETTINGS_SMTPSERVERTIMEOUT: "2147484" },
      login: false,
      code: "ETIMEOUTSETTING",
    },
    { name: "login without credentials", env: {}, login: true, code: "ECREDENTIALS" },
    {
      name: "clear-text login to a remote host",
      env: { ...creds, MM_EMAILSETTINGS_SMTPSERVER: "mail.example.invalid" },
      login: true,
      code: "ECLEARTEXTAUTH",
    },
    {
      // validate calls this an error; the check before connecting used to allow it
      name: "clear-text login to loopback",
      env: { ...creds, MM_EMAILSETTINGS_SMTPSERVER: "127.0.0.1" },
      login: true,
      code: "ECLEARTEXTAUTH",
    },
    {
      name: "STARTTLS login to a remote host",
      env: {
        ...creds,
        MM_EMAILSETTINGS_SMTPSERVER: "mail.example.invalid",
        MM_EMAILSETTINGS_CONNECTIONSECURITY: "STARTTLS",
      },
      login: true,
      code: undefined,
    },
    {
      name: "clear text without login to a remote host",
      env: { MM_EMAILSETTINGS_SMTPSERVER: "mail.example.invalid" },
      login: false,
      code: undefined,
    },
    {
      name: "clear text without login, credentials stored",
      env: { ...creds, MM_EMAILSETTINGS_SMTPSERVER: "mail.example.invalid" },
      login: false,
      code: undefined,
    },
    {
      name: "an IPv6 literal in brackets",
      env: { MM_EMAILSETTINGS_SMTPSERVER: "[::1]" },
      login: false,
      code: undefined,
    },
  ])("$name -> $code", async ({ env, login, code }) => {
    const refusal = checkBeforeConnecting(await settingsFrom(env), login);
    expect(refusal?.code).toBe(code);
    if (refusal) {
      expect(refusal.stage).toBe("config");
      expect(refusal.message).not.toContain("secret-value");
      expect((refusal as { hint?: string }).hint).toMatch(/^[A-Z].+\.$/);
    }
  });

  it("says why login is not possible, from the same rules", async () => {
    expect(loginBlockers(await settingsFrom({})).map((p) => p.code)).toEqual([
      "ECREDENTIALS",
      "ECREDENTIALS",
    ]);
    expect(
      loginBlockers(
        await settingsFrom({
          MM_EMAILSETTINGS_SMTPUSERNAME: "u",
          MM_EMAILSETTINGS_SMTPPASSWORD: "p4ssword",
          MM_EMAILSETTINGS_CONNECTIONSECURITY: "STARTTLS",
        }),
      ),
    ).toEqual([]);
  });
});

const PASSWORD = "Agree-Secret-Pa55word";
let server: TestSmtpServer;
beforeAll(async () => {
  server = await startSmtpServer({ auth: { username: "agree-user", password: PASSWORD } });
});
afterAll(() => server.close());

/** A STARTTLS login to the loopback server; each case changes a few values. */
function caseEnv(changes: Record<string, string>): Record<string, string> {
  const email = {
    SMTPSERVER: "localhost",
    SMTPPORT: String(server.port),
    CONNECTIONSECURITY: "STARTTLS",
    SKIPSERVERCERTIFICATEVERIFICATION: "true",
    SMTPUSERNAME: "agree-user",
    SMTPPASSWORD: PASSWORD,
    FEEDBACKEMAIL: "herald@example.com",
    SMTPSERVERTIMEOUT: "5",
    ...changes,
  };
  return Object.fromEntries(Object.entries(email).map(([key, value]) => [`MM_EMAILSETTINGS_${key}`, value]));
}

describe("validate, probe and test-send agree on whether a session may start", () => {
  it.each([
    { name: "a STARTTLS login to loopback", changes: {}, code: undefined },
    { name: "a host with a scheme", changes: { SMTPSERVER: "smtp://localhost" }, code: "EHOST" },
    { name: "an internationalized host", changes: { SMTPSERVER: "bücher.example" }, code: "EHOST" },
    {
      name: "a bad host while notifications are off",
      changes: { SMTPSERVER: "not a host", SENDEMAILNOTIFICATIONS: "false", ENABLESECURITYFIXALERT: "false" },
      code: "EHOST",
    },
    { name: "port 0", changes: { SMTPPORT: "0" }, code: "EPORT" },
    { name: "an unknown ConnectionSecurity", changes: { CONNECTIONSECURITY: "SSL" }, code: "ESECURITY" },
    { name: "a timeout past the cap", changes: { SMTPSERVERTIMEOUT: "2147484" }, code: "ETIMEOUTSETTING" },
    { name: "a negative timeout", changes: { SMTPSERVERTIMEOUT: "-1" }, code: "ETIMEOUTSETTING" },
    { name: "login without a password", changes: { SMTPPASSWORD: "" }, code: "ECREDENTIALS" },
    {
      name: "a clear-text login to loopback",
      changes: { CONNECTIONSECURITY: "", ENABLESMTPAUTH: "true" },
      code: "ECLEARTEXTAUTH",
    },
    {
      name: "a clear-text login to a remote host",
      changes: { CONNECTIONSECURITY: "", ENABLESMTPAUTH: "true", SMTPSERVER: "smtp.herald.invalid" },
      code: "ECLEARTEXTAUTH",
    },
  ] as Array<{ name: string; changes: Record<string, string>; code?: string }>)(
    "$name -> $code",
    async ({ changes, code }) => {
      const env = caseEnv(changes);
      const loaded = await loadSettings({ env, ssm: false });
      const validation = validateLoadedSettings(loaded);
      const connectionsBefore = server.connections;
      // herald probe's session (login when EnableSMTPAuth) and herald test-send's operation
      const probe = await runSmtpSession({ settings: loaded.settings });
      const sent = await testSend({ to: "someone@example.com" }, { sources: { env, ssm: false } });

      const blockers = blockingProblems(loaded.settings, {
        login: loaded.settings.EmailSettings.EnableSMTPAuth,
      });
      if (code === undefined) {
        expect(blockers).toEqual([]);
        expect(validation.valid).toBe(true);
        expect(probe).toMatchObject({ ok: true, stage: "done" });
        expect(sent).toMatchObject({ ok: true, stage: "done" });
        expect(server.connections).toBe(connectionsBefore + 2);
        return;
      }
      const found = validation.problems.find((p) => p.code === code);
      expect(found, JSON.stringify(validation.problems, null, 2)).toBeDefined();
      expect(blockers[0]?.code).toBe(code);
      for (const report of [probe, sent]) {
        expect(report).toMatchObject({ ok: false, stage: "config", error: { code, retryable: false } });
        // the rule's own fix, as a sentence
        expect(report.hint).toContain(found!.fix.slice(1));
        // test-send knows where each value came from; a session gets the settings alone
        const withoutOrigin = (text = "") => text.replace(/ \(from [^)]*\)/g, "");
        expect(withoutOrigin(report.error?.message)).toContain(withoutOrigin(found!.message));
      }
      if (code === "ECREDENTIALS" || code === "ECLEARTEXTAUTH") {
        expect(loginBlockers(loaded.settings)[0]?.code).toBe(code);
      }
      expect(server.connections).toBe(connectionsBefore);
    },
  );

  it("an internationalized host's fix gives its punycode form", async () => {
    const loaded = await loadSettings({ env: caseEnv({ SMTPSERVER: "smtp.bücher.example" }), ssm: false });
    const report = await runSmtpSession({ settings: loaded.settings, login: false });
    expect(report.hint).toContain("smtp.xn--bcher-kva.example");
  });
});
