// `npm start` as a user runs it: the whole flow against its own servers, the summary, the
// files for the CLI, serving until Ctrl-C, and the clear refusals (taken port, bad options).
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import net from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { listenOnLoopback } from "../../sandbox/servers/listen.ts";
import { projectRoot } from "../helpers/run-herald.ts";
import { ANY_FREE_PORTS, spawnSandbox, type SandboxProcess } from "./sandbox-process.ts";

const STEPS = [
  "start the local servers",
  "validate-settings { connect: true }",
  "herald probe",
  "herald export for Mattermost",
  "test-send { to: you@example.com }",
  "send-notification, SMTP",
  "send-notification, SMTP, redelivered",
  "send-notification, SES API",
  "send-notification, SES API, redelivered",
  "SES feedback -> status records",
  "security-alert-check",
  "security-alert-check, second run",
];

const runs: SandboxProcess[] = [];
afterEach(async () => {
  await Promise.all(runs.splice(0).map((run) => run.cleanup()));
});

async function sandbox(args: string[], env: Record<string, string> = {}): Promise<SandboxProcess> {
  const run = await spawnSandbox(args, env);
  runs.push(run);
  return run;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

describe("npm start -- --once", () => {
  it("runs every handler with its expected outcome, prints the summary and exits 0 at once", async () => {
    // AWS and Mattermost settings in the user's shell do not reach the sandbox's handlers or
    // clients: it talks to its own servers only (FIPS or dual-stack endpoints refuse a custom one)
    const run = await sandbox(["--once"], {
      AWS_USE_FIPS_ENDPOINT: "true",
      AWS_USE_DUALSTACK_ENDPOINT: "true",
      AWS_PROFILE: "no-such-profile",
      AWS_ENDPOINT_URL: "http://127.0.0.1:1",
      MM_EMAILSETTINGS_SMTPSERVER: "smtp.invalid",
    });
    const { code } = await run.exited;
    const output = run.output();
    expect(code, output).toBe(0);
    for (const step of STEPS) expect(output).toMatch(new RegExp(`^  OK +${escape(step)} `, "m"));
    expect(output).not.toContain("FAILED");
    expect(output).toContain(`all ${STEPS.length} steps had their expected outcome`);
    expect(output).toMatch(
      /Mail page +http:\/\/127\.0\.0\.1:\d+\/ +\(6 caught over SMTP, 4 via the SES API, 2 dead letters\)/,
    );
    expect(output).toMatch(/SMTP server +127\.0\.0\.1:\d+ /);
    expect(output).toMatch(
      /Dead-letter queue +http:\/\/127\.0\.0\.1:\d+\/000000000000\/herald-sandbox-dead-letters/,
    );
    // nothing left open: the process ended by itself once its servers were closed (what keeps
    // it alive is named by the sandbox itself, 5 s after its shutdown, before it forces the exit)
    expect(output).not.toContain("still open after shutdown");

    // the settings file holds the run's password, readable by its owner only, never printed
    const config = JSON.parse(await readFile(join(run.dir, "config.json"), "utf8")) as {
      EmailSettings: Record<string, unknown>;
    };
    expect(config.EmailSettings).toMatchObject({ ConnectionSecurity: "STARTTLS", EnableSMTPAuth: true });
    const password = String(config.EmailSettings.SMTPPassword);
    expect(password.length).toBeGreaterThan(16);
    expect(output).not.toContain(password);
    expect((await stat(join(run.dir, "config.json"))).mode & 0o777).toBe(0o600);
    const env = await readFile(join(run.dir, "env"), "utf8");
    expect(env).toContain(`HERALD_CONFIG_FILE=${join(run.dir, "config.json")}`);
    expect(env).toContain(`NODE_EXTRA_CA_CERTS=${join(run.dir, "ca.pem")}`);

    // what herald export handed to Mattermost: a full config.json with the sandbox's settings
    // merged in and an env file, both owner-only; the step compared them read back
    expect(output).toMatch(/For Mattermost +.*mattermost-config\.json, .*mattermost\.env/);
    const mattermost = JSON.parse(await readFile(join(run.dir, "mattermost-config.json"), "utf8")) as Record<
      string,
      Record<string, unknown>
    >;
    expect(mattermost.EmailSettings).toMatchObject({ SMTPServer: "127.0.0.1", SMTPPassword: password });
    expect(mattermost.SqlSettings?.DriverName).toBe("postgres");
    const mattermostEnv = await readFile(join(run.dir, "mattermost.env"), "utf8");
    expect(mattermostEnv).toContain(`MM_EMAILSETTINGS_SMTPPASSWORD=${password}`);
    for (const file of ["mattermost-config.json", "mattermost.env"]) {
      expect((await stat(join(run.dir, file))).mode & 0o777).toBe(0o600);
    }
  }, 90_000);

  it("a reader that stops early (| head -1) does not crash it: the flow runs on and the exit code is its verdict", async () => {
    const run = await sandbox(["--once"]);
    await run.waitFor(/Herald sandbox/);
    run.child.stdout?.destroy();
    const { code } = await run.exited;
    expect(run.output()).not.toContain("EPIPE");
    expect(code, run.output()).toBe(0);
  }, 90_000);

  // script(1) gives the sandbox a terminal; TERM=dumb says it cannot take escape sequences
  it.skipIf(process.platform !== "linux")(
    "on a dumb terminal: no colour and no cursor movement",
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "herald-sandbox-dumb-"));
      try {
        const shown = await new Promise<string>((resolve, reject) =>
          execFile(
            "script",
            ["-qfec", `${process.execPath} sandbox/main.ts --once`, "/dev/null"],
            {
              cwd: projectRoot,
              env: { ...ANY_FREE_PORTS, PATH: "/usr/bin:/bin", TERM: "dumb", HERALD_SANDBOX_DIR: dir },
              timeout: 80_000,
            },
            (error, stdout) => (error ? reject(error) : resolve(stdout)),
          ),
        );
        expect(shown).toContain("steps had their expected outcome");
        expect(shown).not.toContain("\u001b");
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    90_000,
  );

  it("exits 2 naming the server and the variable when a port is taken", async () => {
    const blocker = net.createServer();
    const port = await listenOnLoopback(blocker);
    try {
      const run = await sandbox(["--once"], { HERALD_SANDBOX_FEED_PORT: String(port) });
      const { code } = await run.exited;
      expect(code).toBe(2);
      expect(run.output()).toContain(`port ${port} on 127.0.0.1 for the security feed is already in use`);
      expect(run.output()).toContain("HERALD_SANDBOX_FEED_PORT=<port> npm start");
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  }, 60_000);

  it.each<{ args: string[]; env: Record<string, string>; code: number; message: RegExp }>([
    { args: ["--bogus"], env: {}, code: 2, message: /Unknown option '--bogus'/ },
    {
      args: ["--once"],
      env: { HERALD_SANDBOX_SMTP_PORT: "smtp" },
      code: 2,
      message: /HERALD_SANDBOX_SMTP_PORT is "smtp", not a port number/,
    },
    { args: ["--help"], env: {}, code: 0, message: /Usage: npm start/ },
  ])("$args $env exits $code", async ({ args, env, code, message }) => {
    const run = await sandbox(args, env);
    expect((await run.exited).code).toBe(code);
    expect(run.output()).toMatch(message);
  });
});

describe("npm start", () => {
  it("serves the mail page and the CLI's settings until Ctrl-C, then stops cleanly", async () => {
    const run = await sandbox([]);
    await run.waitFor(/Serving until Ctrl-C/);
    const url = (await run.waitFor(/Mail page +(http:\/\/127\.0\.0\.1:\d+\/)/))[1] ?? "";

    // what the page's script shows (test/sandbox/browser.test.ts reads the page itself)
    const state = (await (await fetch(`${url}api/state`)).json()) as {
      messages: Array<{ id: string; subject: string; via: string; notification?: { id: string } }>;
      deadLetters: Array<{ eventId: string; reason: string }>;
    };
    const subjects = state.messages.map((m) => m.subject);
    expect(subjects).toContain("[Herald Sandbox] Testing Email Settings");
    expect(subjects).toContain("Alice mentioned you in Town Square");
    expect(state.messages.find((m) => m.subject === "Your daily digest: 3 unread messages")?.via).toBe(
      "ses-api",
    );
    expect(state.deadLetters.find((d) => d.eventId === "sandbox-invite-nobody")?.reason).toMatch(/^550 /);

    // beside an SES message, its delivery status as the status record holds it (fed SES events)
    const sesIds = state.messages.filter((m) => m.via === "ses-api" && m.notification).map((m) => m.id);
    const details = await Promise.all(
      sesIds.map(
        async (id) => (await (await fetch(`${url}api/messages/${id}`)).json()) as { status?: unknown },
      ),
    );
    const states = details.flatMap(
      (d) => (d.status as { recipients?: Array<{ state: string }> } | undefined)?.recipients ?? [],
    );
    expect(states.map((r) => r.state)).toEqual(expect.arrayContaining(["delivered", "bounced"]));

    // the CLI in another terminal reaches the same servers through the env file
    const probe = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        "/bin/sh",
        ["-c", `set -a; . '${join(run.dir, "env")}'; set +a; exec node_modules/.bin/herald probe --json`],
        { cwd: projectRoot, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, timeout: 30_000 },
        (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
      );
    });
    expect(probe.code, probe.stdout).toBe(0);
    expect(JSON.parse(probe.stdout)).toMatchObject({ ok: true, server: { tls: { authorized: true } } });

    run.child.kill("SIGINT");
    const { code } = await run.exited;
    expect(code).toBe(0);
    expect(run.output()).toContain("Stopping the sandbox...");
    // it ended by itself: nothing was left open (the sandbox names what is, 5 s after shutdown)
    expect(run.output()).not.toContain("still open after shutdown");
  }, 90_000);
});
