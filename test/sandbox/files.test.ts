import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sandboxFiles, writeSandboxFiles } from "../../sandbox/files.ts";

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the sandbox's files", () => {
  it("writes the settings for its owner only, and an env file a shell can load as it is", async () => {
    dir = await mkdtemp(join(tmpdir(), "herald files "));
    const files = sandboxFiles(join(dir, "sandbox dir"));
    await writeSandboxFiles(files, {
      config: { EmailSettings: { SMTPPassword: "pw" } },
      certificate: "-----BEGIN CERTIFICATE-----\n",
      env: { HERALD_CONFIG_FILE: files.config, ODD: "it's $HOME `x`" },
    });
    expect(JSON.parse(await readFile(files.config, "utf8"))).toEqual({
      EmailSettings: { SMTPPassword: "pw" },
    });
    expect((await stat(files.config)).mode & 0o777).toBe(0o600);
    expect(await readFile(files.ca, "utf8")).toContain("BEGIN CERTIFICATE");
    const loaded = await new Promise<string>((resolve, reject) =>
      execFile(
        "/bin/sh",
        ["-c", `set -a; . "$1"; set +a; printf '%s\\n%s' "$HERALD_CONFIG_FILE" "$ODD"`, "sh", files.env],
        { env: { PATH: "/usr/bin:/bin" } },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      ),
    );
    expect(loaded).toBe(`${files.config}\nit's $HOME \`x\``);
  });
});
