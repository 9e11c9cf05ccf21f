// The CLI's front: every command has --help and --json and the documented exit codes,
// colour only on a terminal (NO_COLOR respected), and commands load only when they run.
import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";
import { colorsFor } from "../../../src/cli/format.ts";
import type { CliIo } from "../../../src/cli/io.ts";
import { runCli } from "../../../src/cli/main.ts";
import { projectRoot } from "../../helpers/run-herald.ts";

function io(env: NodeJS.ProcessEnv = {}, isTTY = false) {
  const out = { stdout: "", stderr: "" };
  const cli: CliIo = {
    stdout: (text) => void (out.stdout += text),
    stderr: (text) => void (out.stderr += text),
    env,
    isTTY,
  };
  return { cli, out };
}

const help = io();
await runCli(["--help"], help.cli);
const COMMANDS = [...help.out.stdout.matchAll(/^ {2}([a-z-]+) /gm)].map((match) => match[1] as string);

// A setting env that validates cleanly and never reaches a server.
const VALID = { MM_EMAILSETTINGS_SMTPSERVER: "127.0.0.1", MM_EMAILSETTINGS_SMTPPORT: "2525" };

describe("herald commands", () => {
  it("lists the seven commands of DESIGN.md section 4, and export (issue 20)", () => {
    expect(COMMANDS.sort()).toEqual(
      [
        "export",
        "presets",
        "probe",
        "security-check",
        "send",
        "ses-smtp-password",
        "test-send",
        "validate",
      ].sort(),
    );
    expect(help.out.stdout).toContain("Exit codes: 0 success, 1 the check or send failed, 2 usage error");
  });

  it.each(COMMANDS)("%s --help: exit 0, documents --json and its exit codes", async (command) => {
    const { cli, out } = io();
    expect(await runCli([command, "--help"], cli)).toBe(0);
    expect(out.stdout).toMatch(new RegExp(`^Usage: herald ${command}`));
    expect(out.stdout).toContain("--json");
    expect(out.stdout).toMatch(/Exit codes: 0 /);
  });

  it.each(COMMANDS)("%s --no-such-option: exit 2 with the usage hint", async (command) => {
    const { cli, out } = io();
    expect(await runCli([command, "--no-such-option"], cli)).toBe(2);
    expect(out.stderr).toContain(`Run "herald ${command} --help" for usage.`);
  });

  it("usage errors print names from the command line with control characters escaped", async () => {
    const unknown = io();
    expect(await runCli(["evil\u001b[2J", "--help"], unknown.cli)).toBe(2);
    expect(unknown.out.stderr).toContain('unknown command "evil\\u001b[2J"');
    const option = io();
    expect(await runCli(["presets", "--x\u001b[2J"], option.cli)).toBe(2);
    expect(option.out.stderr).not.toContain("\u001b");
    expect(option.out.stderr).toContain("--x\\u001b[2J");
  });

  it("an unknown command and no command are usage errors (exit 2)", async () => {
    expect(await runCli(["frobnicate"], io().cli)).toBe(2);
    expect(await runCli([], io().cli)).toBe(2);
  });
});

describe("colour", () => {
  it.each([
    { env: {}, isTTY: true, colored: true },
    { env: { NO_COLOR: "" }, isTTY: true, colored: true },
    { env: { NO_COLOR: "1" }, isTTY: true, colored: false },
    { env: { TERM: "dumb" }, isTTY: true, colored: false },
    { env: {}, isTTY: false, colored: false },
  ])("$env on a terminal: $isTTY -> coloured: $colored", async ({ env, isTTY, colored }) => {
    expect(colorsFor({ env, isTTY }).ok("OK") !== "OK").toBe(colored);
    const { cli, out } = io({ ...VALID, ...env }, isTTY);
    expect(await runCli(["validate"], cli)).toBe(0);
    expect(out.stdout.startsWith(colored ? "Settings \x1b[32mvalid\x1b[39m:" : "Settings valid:")).toBe(true);
  });

  it("colours errors red and warnings yellow, and never JSON", async () => {
    const env = {
      ...VALID,
      MM_EMAILSETTINGS_CONNECTIONSECURITY: "BOGUS",
      MM_EMAILSETTINGS_ENABLESMTPAUTH: "false",
      MM_EMAILSETTINGS_SKIPSERVERCERTIFICATEVERIFICATION: "true",
    };
    const readable = io(env, true);
    expect(await runCli(["validate"], readable.cli)).toBe(1);
    expect(readable.out.stdout).toContain("Settings \x1b[31minvalid\x1b[39m");
    expect(readable.out.stdout).toContain("\x1b[31merror  \x1b[39m EmailSettings.ConnectionSecurity");
    expect(readable.out.stdout).toContain(
      "\x1b[33mwarning\x1b[39m EmailSettings.SkipServerCertificateVerification",
    );
    const json = io(env, true);
    await runCli(["validate", "--json"], json.cli);
    expect(json.out.stdout).not.toContain("\x1b");
    expect(JSON.parse(json.out.stdout)).toMatchObject({ valid: false });
  });
});

describe("start-up", () => {
  // What a command's run resolves, seen by a module hook in a fresh process.
  function resolvedBy(argv: string[]): Promise<string[]> {
    const script = `
      import { registerHooks } from "node:module";
      const seen = [];
      registerHooks({ resolve(specifier, context, next) { seen.push(specifier); return next(specifier, context); } });
      const { runCli } = await import("./src/cli/main.ts");
      await runCli(${JSON.stringify(argv)}, { stdout() {}, stderr() {}, env: {} });
      console.log(JSON.stringify(seen));`;
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        ["--input-type=module", "-e", script],
        { cwd: projectRoot, timeout: 30_000 },
        (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout) as string[])),
      );
    });
  }

  it("loads only the command that runs: no AWS SDK or mail library for presets or --help", async () => {
    for (const argv of [["--help"], ["presets"]]) {
      const seen = await resolvedBy(argv);
      expect(seen.some((s) => s.endsWith("/presets.ts"))).toBe(argv[0] === "presets");
      expect(seen.filter((s) => /^@aws-sdk\/|^nodemailer|^@aws-lambda-powertools\//.test(s))).toEqual([]);
      expect(seen.filter((s) => s.includes("/commands/") && !s.endsWith("/presets.ts"))).toEqual([]);
    }
    const validate = await resolvedBy(["validate", "--help"]);
    expect(validate.some((s) => s.endsWith("/commands/validate.ts"))).toBe(true);
  }, 60_000);
});
