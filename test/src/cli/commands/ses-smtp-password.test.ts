import { execFile, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { sesSmtpPasswordCommand } from "../../../../src/cli/commands/ses-smtp-password.ts";
import { UsageError, type CliIo } from "../../../../src/cli/io.ts";
import { projectRoot } from "../../../helpers/run-herald.ts";

const SECRET = "dhSgJJyAs+2z19oLOVkwBrE6GkdNQD5fL5Dou5Tb";
const PASSWORD = "BK0hyoUp3vjB+NdwhSiUpkA9oA84fNaqhEKrXZ5PkcX2";

/** The installed `herald` binary with `input` on its standard input. */
function herald(args: string[], input: string, env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      join(projectRoot, "node_modules/.bin/herald"),
      args,
      {
        cwd: projectRoot,
        env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, ...env },
        timeout: 30_000,
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

function memoryIo(env: NodeJS.ProcessEnv = {}) {
  const out = { stdout: "", stderr: "" };
  const io: CliIo = { stdout: (t) => void (out.stdout += t), stderr: (t) => void (out.stderr += t), env };
  return { io, out };
}

describe("herald ses-smtp-password", () => {
  it("prints the password for the secret on stdin, nothing else", async () => {
    const run = await herald(["ses-smtp-password", "--region", "eu-central-1"], `${SECRET}\n`);
    expect(run).toEqual({ code: 0, stdout: `${PASSWORD}\n`, stderr: "" });
  });

  it("--json names the region and its SMTP endpoint", async () => {
    const run = await herald(["ses-smtp-password", "--region", "eu-central-1", "--json"], SECRET);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      region: "eu-central-1",
      server: "email-smtp.eu-central-1.amazonaws.com",
      password: PASSWORD,
    });
  });

  it("takes the region from AWS_REGION when --region is absent", async () => {
    const { io, out } = memoryIo({ AWS_REGION: "eu-central-1" });
    expect(await sesSmtpPasswordCommand([], io, async () => SECRET)).toBe(0);
    expect(out.stdout).toBe(`${PASSWORD}\n`);
  });

  it.each([
    { args: [], input: SECRET, message: /--region is required/ },
    { args: ["--region", "mars-north-1"], input: SECRET, message: /"mars-north-1" has no SES SMTP endpoint/ },
    { args: ["--region", "eu-west-1"], input: "\n", message: /standard input is empty/ },
    { args: ["--region", "eu-west-1"], input: `${SECRET}\n${SECRET}\n`, message: /one secret access key/ },
    { args: ["--region", "eu-west-1", "--bogus"], input: SECRET, message: /bogus/ },
    { args: ["--region", "eu-west-1"], input: `${SECRET}\u00ff`, message: /letters, digits, "\+" and "\/"/ },
    { args: ["--region", "eu-west-1"], input: `${SECRET}\u0000`, message: /letters, digits, "\+" and "\/"/ },
  ])("refuses $message as a usage error without echoing the input", async ({ args, input, message }) => {
    const { io, out } = memoryIo();
    const failure = sesSmtpPasswordCommand(args, io, async () => input);
    await expect(failure).rejects.toThrow(UsageError);
    await expect(failure).rejects.toThrow(message);
    const error = await failure.catch((e: unknown) => e);
    expect(String(error) + out.stdout + out.stderr).not.toContain(SECRET);
  });

  it("a usage error through the binary exits 2 and keeps the key out of stderr", async () => {
    const run = await herald(["ses-smtp-password", "--region", "eu-west-1"], `${SECRET} extra`);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/one secret access key/);
    expect(run.stdout + run.stderr).not.toContain(SECRET);
  });

  it("--help prints usage and exits 0", async () => {
    const run = await herald(["ses-smtp-password", "--help"], "");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: herald ses-smtp-password --region REGION/);
  });

  // A key typed (or pasted) on a terminal must not be shown on it: script(1) gives herald a
  // terminal, and everything the terminal shows comes back on script's stdout.
  it.skipIf(process.platform !== "linux")(
    "on a terminal, the key typed is not echoed; Enter ends it",
    async () => {
      const command = `${join(projectRoot, "node_modules/.bin/herald")} ses-smtp-password --region eu-central-1`;
      const child = spawn("script", ["-qfec", command, "/dev/null"], {
        cwd: projectRoot,
        env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, TERM: "dumb" },
      });
      let shown = "";
      let typed = false;
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        shown += chunk;
        // type the key once herald asks for it
        if (!typed && shown.includes("Secret access key")) {
          typed = true;
          child.stdin.write(`${SECRET}\r`);
        }
      });
      // a herald still waiting for more input must not outlive the test
      const timer = setTimeout(() => child.kill(), 15_000);
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      clearTimeout(timer);
      expect(shown).toContain(PASSWORD);
      expect(shown).not.toContain(SECRET);
      expect(code).toBe(0);
    },
    20_000,
  );
});
