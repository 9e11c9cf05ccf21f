import { execFile } from "node:child_process";
import { chmod, lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
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
    expect((await stat(files.env)).mode & 0o777).toBe(0o600);
    expect((await stat(files.dir)).mode & 0o777).toBe(0o700);
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

  it("in a directory left by an earlier run, replaces its files rather than writing through them", async () => {
    dir = await mkdtemp(join(tmpdir(), "herald files "));
    const files = sandboxFiles(join(dir, "sandbox"));
    await mkdir(files.dir, { mode: 0o755 });
    await chmod(files.dir, 0o755);
    await writeFile(files.env, "old\n", { mode: 0o644 });
    const elsewhere = join(dir, "elsewhere.json");
    await writeFile(elsewhere, "untouched\n", { mode: 0o644 });
    await symlink(elsewhere, files.config);
    await writeSandboxFiles(files, {
      config: { EmailSettings: { SMTPPassword: "pw" } },
      certificate: "-----BEGIN CERTIFICATE-----\n",
      env: { HERALD_CONFIG_FILE: files.config },
    });
    for (const path of [files.config, files.ca, files.env]) {
      const info = await lstat(path);
      expect(info.isFile(), path).toBe(true);
      expect(info.mode & 0o777, path).toBe(0o600);
    }
    expect(await readFile(elsewhere, "utf8")).toBe("untouched\n");
    expect(JSON.parse(await readFile(files.config, "utf8"))).toEqual({
      EmailSettings: { SMTPPassword: "pw" },
    });
  });
});
