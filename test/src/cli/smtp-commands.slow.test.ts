// herald test-send and herald probe, as a user runs them, against loopback SMTP servers.
import { afterEach, describe, expect, it } from "vitest";
import { FAULTS, PASSWORD as FAULT_PASSWORD, settingsEnv } from "../../helpers/fault-matrix.ts";
import { runHerald, runHeraldTimed } from "../../helpers/run-herald.ts";
import {
  closedPort,
  startSilentServer,
  startSmtpServer,
  startStallAfterEhloServer,
  startStallInDataServer,
  startTricklingEhloServer,
  type TestSmtpServer,
} from "../../helpers/smtp-servers.ts";

const PASSWORD = "Cli-Secret-Pa55word";
let server: TestSmtpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function cliEnv(port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    MM_EMAILSETTINGS_SMTPSERVER: "localhost",
    MM_EMAILSETTINGS_SMTPPORT: String(port),
    MM_EMAILSETTINGS_CONNECTIONSECURITY: "STARTTLS",
    MM_EMAILSETTINGS_SKIPSERVERCERTIFICATEVERIFICATION: "true",
    MM_EMAILSETTINGS_SMTPUSERNAME: "cli-user",
    MM_EMAILSETTINGS_SMTPPASSWORD: PASSWORD,
    MM_EMAILSETTINGS_FEEDBACKEMAIL: "herald@example.com",
    // The default: a 1 s stage budget made a TLS handshake on a loaded 2-core runner time out
    // now and then (each stage is bounded from its start). The timeout tests set their own.
    MM_EMAILSETTINGS_SMTPSERVERTIMEOUT: "10",
    ...extra,
  };
}

describe("herald test-send", () => {
  it("--json against a STARTTLS + AUTH server: ok with a messageId, exit 0", async () => {
    server = await startSmtpServer({ auth: { username: "cli-user", password: PASSWORD } });
    const run = await runHerald(["test-send", "--to", "a@example.com", "--json"], cliEnv(server.port));
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      ok: true,
      stage: "done",
      messageId: expect.stringMatching(/^<.+@example\.com>$/),
    });
    expect(server.messages[0]?.to).toEqual(["a@example.com"]);
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });

  it.each([
    {
      name: "wrong password",
      start: () => startSmtpServer({ auth: { username: "cli-user", password: "not-this-one" } }),
      extra: {},
      stage: "auth",
      hint: /access key id/,
    },
    {
      name: "relay refused",
      start: () =>
        startSmtpServer({
          auth: { username: "cli-user", password: PASSWORD },
          failAt: {
            stage: "rcpt",
            code: 554,
            message: "5.7.1 <a@example.com>: Client host rejected: Access denied",
          },
        }),
      extra: {},
      stage: "rcpt",
      hint: /refuses to relay/,
    },
    {
      name: "no greeting",
      start: startSilentServer,
      extra: {
        MM_EMAILSETTINGS_CONNECTIONSECURITY: "",
        MM_EMAILSETTINGS_SMTPUSERNAME: "",
        MM_EMAILSETTINGS_SMTPPASSWORD: "",
      },
      stage: "greeting",
      hint: /SMTPServerTimeout/,
    },
  ] as Array<{
    name: string;
    start: () => Promise<TestSmtpServer>;
    extra: Record<string, string>;
    stage: string;
    hint: RegExp;
  }>)("--json with $name: exit 1, stage $stage and its hint", async ({ start, extra, stage, hint }) => {
    server = await start();
    const run = await runHerald(["test-send", "--to", "a@example.com", "--json"], cliEnv(server.port, extra));
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.ok).toBe(false);
    expect(report.stage).toBe(stage);
    expect(report.hint).toMatch(hint);
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });

  it("credentials in clear text to a remote host are refused at the config stage", async () => {
    const run = await runHerald(
      ["test-send", "--to", "a@example.com"],
      cliEnv(587, {
        MM_EMAILSETTINGS_SMTPSERVER: "mail.herald.invalid",
        MM_EMAILSETTINGS_CONNECTIONSECURITY: "",
      }),
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAILED at config/);
    expect(run.stdout).toMatch(/hint: .*STARTTLS/);
    expect(run.stdout).not.toContain(PASSWORD);
  });

  it("an unreadable config file exits 2", async () => {
    const run = await runHerald(["test-send", "--to", "a@example.com", "--config", "missing.json"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("missing.json");
  });

  it("--to without an address is a usage error", async () => {
    const run = await runHerald(["test-send", "--to"]);
    expect(run.code).toBe(2);
  });
});

/** The message of Herald's own stage timeout with SMTPServerTimeout 2. */
const BOUND = (stage: string) => new RegExp(`no answer within SMTPServerTimeout \\(2 s\\) at stage ${stage}`);

describe("herald test-send ends with its report", () => {
  it.each([
    // nodemailer's greeting timeout (set to SMTPServerTimeout too) fires with its own message
    { name: "no greeting", start: startSilentServer, stage: "greeting", message: /Greeting never received/ },
    { name: "a stall after EHLO", start: startStallAfterEhloServer, stage: "mail", message: BOUND("mail") },
    { name: "a stall in DATA", start: startStallInDataServer, stage: "data", message: BOUND("data") },
    {
      name: "an EHLO reply trickling a byte every 500 ms",
      start: () => startTricklingEhloServer(500),
      stage: "ehlo",
      message: BOUND("ehlo"),
    },
  ])(
    "$name with SMTPServerTimeout=2: a timeout report naming the bound, the exit as soon after it as a refused connection's",
    async ({ start, stage, message }) => {
      const env = (port: number) =>
        settingsEnv({ SMTPPORT: String(port), CONNECTIONSECURITY: "", SMTPSERVERTIMEOUT: "2" });
      // The baseline, measured now on this machine: the same command against a closed port
      // (start-up, a refused connection, the report, the exit), so a busy machine moves both.
      const baseline = await runHeraldTimed(
        ["test-send", "--to", "someone@example.com", "--json"],
        env(await closedPort()),
      );
      expect(JSON.parse(baseline.stdout)).toMatchObject({ ok: false, stage: "connect" });
      server = await start();
      const run = await runHeraldTimed(
        ["test-send", "--to", "someone@example.com", "--json"],
        env(server.port),
      );
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout);
      expect(report).toMatchObject({ ok: false, stage, error: { code: "ETIMEDOUT" } });
      // the bound in effect is the configured one; that a stage ends exactly when it is up is
      // tested on a fake clock (test/src/smtp/session.timeouts.test.ts)
      expect(report.error.message).toMatch(message);
      // and nothing of the session keeps the process alive after it (a half-closed socket did, 5 s):
      // the exit follows the report no later than it does after a refused connection, give or take 1 s
      const baselineTail = baseline.exitMs - baseline.lastOutputMs;
      expect(run.exitMs - run.lastOutputMs).toBeLessThan(baselineTail + 1000);
      // (No bound on the whole run: before the session is start-up, which a busy machine
      // stretches 2-fold between two runs; bench/ measures it.)
    },
    // two `herald` processes: 46-50 s at a load average of 14 on 2 cores (the slow project's limit)
  );
});

describe("herald probe", () => {
  const noCredentials = { MM_EMAILSETTINGS_SMTPUSERNAME: "", MM_EMAILSETTINGS_SMTPPASSWORD: "" };

  it("without credentials (EnableSMTPAuth defaults to true with STARTTLS) shows what the server offers and says the login was skipped", async () => {
    server = await startSmtpServer({
      auth: { username: "cli-user", password: PASSWORD },
      authAfterStarttls: true,
    });
    const run = await runHerald(["probe", "--json"], cliEnv(server.port, noCredentials));
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      ok: true,
      stage: "done",
      server: {
        banner: expect.stringMatching(/^220 /),
        // the EHLO after STARTTLS: AUTH is offered only there
        authMethods: ["PLAIN", "LOGIN"],
        tls: { protocol: expect.stringMatching(/^TLSv1\.[23]$/), authorized: false },
      },
      login: {
        attempted: false,
        reason: expect.stringMatching(/SMTPUsername is empty.*SMTPPassword is empty/),
      },
    });
    expect(report.server.extensions).toContain("AUTH PLAIN LOGIN");
    expect(report.server.extensions).not.toContain("STARTTLS");
    expect(Object.keys(report.timings)).toEqual(["connect", "greeting", "ehlo", "starttls", "tls"]);

    const human = await runHerald(["probe"], cliEnv(server.port, noCredentials));
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/auth methods: PLAIN, LOGIN/);
    expect(human.stdout).toMatch(/login: skipped, EnableSMTPAuth is true but SMTPUsername is empty/);
    expect(human.stdout).not.toContain("login: accepted");
  });

  it("test-send still refuses to connect without credentials", async () => {
    server = await startSmtpServer({ auth: { username: "cli-user", password: PASSWORD } });
    const run = await runHerald(
      ["test-send", "--to", "a@example.com", "--json"],
      cliEnv(server.port, noCredentials),
    );
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, stage: "config" });
    expect(server.connections).toBe(0);
  });

  it("reports a setting value that could not be used, as validate does", async () => {
    server = await startSmtpServer({ starttls: false });
    const env = cliEnv(server.port, {
      ...noCredentials,
      MM_EMAILSETTINGS_CONNECTIONSECURITY: "",
      MM_EMAILSETTINGS_SMTPSERVERTIMEOUT: "2s",
    });
    const run = await runHerald(["probe", "--json"], env);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.problems).toEqual([
      expect.objectContaining({
        setting: "EmailSettings.SMTPServerTimeout",
        severity: "error",
        message: expect.stringContaining('MM_EMAILSETTINGS_SMTPSERVERTIMEOUT is "2s"'),
      }),
    ]);
    const human = await runHerald(["probe"], env);
    expect(human.stdout).toMatch(
      /Settings that could not be used:\n {2}error +EmailSettings\.SMTPServerTimeout \[env\]/,
    );
    expect(human.stdout).toContain('MM_EMAILSETTINGS_SMTPSERVERTIMEOUT is "2s"');
  });

  it("prints banner, extensions, TLS and AUTH methods, and logs in without sending", async () => {
    server = await startSmtpServer({ auth: { username: "cli-user", password: PASSWORD } });
    const run = await runHerald(["probe"], cliEnv(server.port, { MM_EMAILSETTINGS_ENABLESMTPAUTH: "true" }));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^OK: localhost:\d+ answered/);
    expect(run.stdout).toMatch(/banner: 220 /);
    expect(run.stdout).toMatch(/auth methods: PLAIN, LOGIN/);
    expect(run.stdout).toMatch(/tls: TLSv1\.[23] .*certificate NOT verified, subject localhost/);
    expect(run.stdout).toMatch(/timings: connect [\d.]+ ms, greeting/);
    expect(run.stdout).toMatch(/^ {2}login: accepted$/m);
    expect(server.messages).toHaveLength(0);
  });

  it("--json --no-login does not log in", async () => {
    server = await startSmtpServer({ auth: { username: "cli-user", password: "not-this-one" } });
    const run = await runHerald(["probe", "--json", "--no-login"], cliEnv(server.port));
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ ok: true, stage: "done" });
    expect(report.timings.auth).toBeUndefined();
  });
});

describe("herald test-send --json through the whole fault matrix", () => {
  it.each(FAULTS)("$name -> stage $stage and its hint", async (fault) => {
    server = await fault.start();
    const run = await runHerald(
      ["test-send", "--to", "someone@example.com", "--json"],
      settingsEnv({ SMTPPORT: String(server.port), ...fault.settings }),
    );
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ ok: false, stage: fault.stage, error: { retryable: fault.retryable } });
    if (fault.code) expect(report.error.code).toBe(fault.code);
    if (fault.responseCode) expect(report.error.responseCode).toBe(fault.responseCode);
    expect(report.hint).toMatch(fault.hint);
    expect(run.stdout + run.stderr).not.toContain(FAULT_PASSWORD);
  });
});
