// herald export: the settings for a Mattermost server. Each format is read back by a real
// reader (sh for the EnvironmentFile and the mmctl commands, the settings loader for
// config.json) and must give the same settings; --merge changes only the exported keys of
// a full Mattermost config.json; the password stays out unless asked for.
import { execFileSync } from "node:child_process";
import {
  chmod,
  chown,
  lstat,
  mkdtemp,
  readFile,
  readdir,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIo } from "../../../../src/cli/io.ts";
import { runCli } from "../../../../src/cli/main.ts";
import { envVarName } from "../../../../src/constants.ts";
import { loadSettings } from "../../../../src/settings/load.ts";
import { SETTINGS, SETTINGS_BY_ANY_PATH, type SettingDefinition } from "../../../../src/settings/model.ts";
import { projectRoot, runHerald } from "../../../helpers/run-herald.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "herald-export-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function herald(args: string[], env: NodeJS.ProcessEnv = {}, isTTY = false) {
  const out = { stdout: "", stderr: "" };
  const io: CliIo = {
    stdout: (text) => void (out.stdout += text),
    stderr: (text) => void (out.stderr += text),
    env,
    isTTY,
  };
  const code = await runCli(["export", ...args], io);
  return { code, ...out };
}

let fileCount = 0;
async function tempFile(content: string, mode = 0o600): Promise<string> {
  const path = join(dir, `file-${fileCount++}`);
  await writeFile(path, content, { mode });
  await chmod(path, mode);
  return path;
}

/** The variables a file sets, as sh reads it (`set -a; . FILE`), in a clean environment. */
function sourceWithSh(path: string): Record<string, string> {
  const output = execFileSync("sh", ["-c", 'set -a; . "$1"; exec env -0', "sh", path], { env: {} });
  return Object.fromEntries(
    output
      .toString("utf8")
      .split("\0")
      .filter((entry) => entry.startsWith("MM_"))
      .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
  );
}

// Values of every kind, strings with everything a quoting rule can get wrong.
const tricky = fc.string({
  unit: fc.oneof(
    fc.constantFrom('"', "'", "\\", "$", "`", "\n", "\r", " ", "\t", "#", "=", ";", "*", "é", "💌", "\u202e"),
    fc.string({ unit: "binary", minLength: 1, maxLength: 1 }).filter((c) => c !== "\0"),
  ),
  maxLength: 24,
});
const valueOf = (def: SettingDefinition) =>
  def.kind === "bool"
    ? fc.boolean()
    : def.kind === "int"
      ? fc.integer({ min: -1_000_000, max: 1_000_000 })
      : tricky;
/** A full config.json in Mattermost's shape: every setting given, under its documented path. */
const generatedConfig = fc
  .record(Object.fromEntries(SETTINGS.map((def) => [def.path, valueOf(def)])))
  .map((byPath) => {
    const config: Record<string, Record<string, unknown>> = {};
    for (const [path, value] of Object.entries(byPath)) {
      const [section, key] = path.split(".") as [string, string];
      (config[section] ??= {})[key] = value;
    }
    return config;
  });

describe("herald export round trips", () => {
  it("--format env, read by sh (systemd reads double quotes the same way) into the MM_* source, gives the same settings", async () => {
    await fc.assert(
      fc.asyncProperty(generatedConfig, async (config) => {
        const configFile = await tempFile(JSON.stringify(config));
        const original = await loadSettings({ env: {}, configFile });
        const run = await herald(["--format", "env", "--include-password", "--config", configFile]);
        expect(run.code).toBe(0);
        const envFile = await tempFile(run.stdout);
        const env = sourceWithSh(envFile);
        const reloaded = await loadSettings({ env });
        expect(reloaded.problems).toEqual([]);
        expect(reloaded.settings).toEqual(original.settings);
        // every setting given is exported once, under the name Mattermost reads
        expect(Object.keys(env).sort()).toEqual(SETTINGS.map((def) => envVarName(def.serverPath)).sort());
      }),
      { numRuns: 40 },
    );
  });

  it("--format config, read back as a config file, gives the same settings", async () => {
    await fc.assert(
      fc.asyncProperty(generatedConfig, async (config) => {
        const configFile = await tempFile(JSON.stringify(config));
        const original = await loadSettings({ env: {}, configFile });
        const run = await herald(["--format", "config", "--include-password", "--config", configFile]);
        const exported = await tempFile(run.stdout);
        const reloaded = await loadSettings({ env: {}, configFile: exported });
        expect(reloaded.problems).toEqual([]);
        expect(reloaded.settings).toEqual(original.settings);
      }),
      { numRuns: 40 },
    );
  });

  it("--format mmctl runs as one `mmctl config set PATH VALUE` per setting, each value one word", async () => {
    await fc.assert(
      fc.asyncProperty(generatedConfig, async (config) => {
        const configFile = await tempFile(JSON.stringify(config));
        const original = await loadSettings({ env: {}, configFile });
        const run = await herald(["--format", "mmctl", "--include-password", "--config", configFile]);
        const script = await tempFile(run.stdout);
        // an mmctl that prints its arguments, NUL-terminated
        const output = execFileSync("sh", ["-c", `mmctl() { printf '%s\\0' "$@"; }; . "$1"`, "sh", script], {
          env: {},
        });
        const words = output.toString("utf8").split("\0").slice(0, -1);
        const given: Record<string, Record<string, string>> = {};
        for (let i = 0; i < words.length; i += 4) {
          expect(words.slice(i, i + 2)).toEqual(["config", "set"]);
          const [section, key] = words[i + 2]!.split(".") as [string, string];
          (given[section] ??= {})[key] = words[i + 3]!;
        }
        expect(words.length / 4).toBe(SETTINGS.length);
        const reloaded = await loadSettings({ env: {}, configFile: await tempFile(JSON.stringify(given)) });
        expect(reloaded.settings).toEqual(original.settings);
      }),
      { numRuns: 25 },
    );
  });

  it("--format docker-env writes values literally and refuses a line break, naming the setting only", async () => {
    const env = { MM_EMAILSETTINGS_FEEDBACKNAME: 'Acme "Chat" $HOME', MM_EMAILSETTINGS_SMTPPORT: "587" };
    const run = await herald(["--format", "docker-env"], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('MM_EMAILSETTINGS_FEEDBACKNAME=Acme "Chat" $HOME\n');
    const broken = await herald(["--format", "docker-env"], { MM_EMAILSETTINGS_FEEDBACKNAME: "two\nlines" });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("EmailSettings.FeedbackName has a line break");
    expect(broken.stderr).not.toContain("lines");
    const json = await herald(["--format", "docker-env", "--json"], {
      MM_EMAILSETTINGS_FEEDBACKNAME: "a\nb",
    });
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, code: "EEXPORTVALUE" });
  });

  it("exports only what a source gave: Mattermost's defaults are left to Mattermost", async () => {
    const run = await herald(["--format", "env", "--json"], {
      MM_EMAILSETTINGS_SMTPSERVER: "smtp.example.com",
    });
    const result = JSON.parse(run.stdout) as { settings: Array<{ path: string; source: string }> };
    expect(result.settings).toEqual([
      { path: "EmailSettings.SMTPServer", variable: "MM_EMAILSETTINGS_SMTPSERVER", source: "env" },
    ]);
  });
});

const EXAMPLE = join(projectRoot, "examples/mattermost-config.json");
const PASSWORD = "BPa55w0rd/with+base64=";
const HERALD_ENV = {
  MM_EMAILSETTINGS_SMTPSERVER: "email-smtp.us-east-1.amazonaws.com",
  MM_EMAILSETTINGS_SMTPPORT: "465",
  MM_EMAILSETTINGS_CONNECTIONSECURITY: "TLS",
  MM_EMAILSETTINGS_SMTPUSERNAME: "AKIAHERALDEXAMPLE",
  MM_EMAILSETTINGS_SMTPPASSWORD: PASSWORD,
  MM_EMAILSETTINGS_FEEDBACKNAME: "Herald <notifications>",
  MM_EMAILSETTINGS_ENABLESECURITYFIXALERT: "false",
};

/** Every leaf of a JSON value, by path. */
function leaves(value: unknown, path = ""): Map<string, unknown> {
  const found = new Map<string, unknown>();
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) {
      for (const [p, v] of leaves(inner, path ? `${path}.${key}` : key)) found.set(p, v);
    }
  } else found.set(path, value);
  return found;
}

describe("herald export --format config --merge", () => {
  it("sets the exported keys in a full Mattermost config.json and keeps every other key, its order and mode", async () => {
    const text = await readFile(EXAMPLE, "utf8");
    const file = await tempFile(text, 0o640);
    const run = await herald(["--merge", file, "--include-password"], HERALD_ENV);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^7 settings merged into .* \(mode 0640\)\n$/);
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    const before = JSON.parse(text) as Record<string, unknown>;
    const after = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(Object.keys(before).length).toBeGreaterThan(20);
    const changed = [...leaves(after)]
      .filter(([path, value]) => JSON.stringify(leaves(before).get(path)) !== JSON.stringify(value))
      .map(([p]) => p);
    expect(changed.sort()).toEqual(
      [
        "EmailSettings.SMTPServer",
        "EmailSettings.SMTPPort",
        "EmailSettings.ConnectionSecurity",
        "EmailSettings.SMTPUsername",
        "EmailSettings.SMTPPassword",
        "EmailSettings.FeedbackName",
        // where the Mattermost server reads it (the registry's serverPath)
        "ServiceSettings.EnableSecurityFixAlert",
      ].sort(),
    );
    expect([...leaves(before).keys()]).toEqual([...leaves(after).keys()]);
    // read back, the merged file gives the exported settings
    const reloaded = await loadSettings({ env: {}, configFile: file });
    expect(reloaded.settings.EmailSettings).toMatchObject({ SMTPPort: "465", SMTPPassword: PASSWORD });
    expect(reloaded.settings.EmailSettings.EnableSecurityFixAlert).toBe(false);
  });

  it("without --include-password keeps the file's own password, and says it left Herald's out", async () => {
    const file = await tempFile(
      JSON.stringify({ EmailSettings: { SMTPPassword: "kept" }, SqlSettings: { x: 1 } }, null, 4),
    );
    const run = await herald(["--format", "config", "--merge", file], HERALD_ENV);
    expect(run.code).toBe(0);
    const text = await readFile(file, "utf8");
    expect(JSON.parse(text).EmailSettings.SMTPPassword).toBe("kept");
    expect(text).not.toContain(PASSWORD);
    expect(text).toMatch(/^\{\n {4}"EmailSettings"/);
    expect(run.stderr).toContain("EmailSettings.SMTPPassword was left out: pass --include-password");
  });

  // As root (a deploy script editing the mattermost user's file), the file stays the user's.
  it.skipIf(process.getuid?.() !== 0)("keeps the file's owner, and leaves no temporary file", async () => {
    const sub = await mkdtemp(join(dir, "owned-"));
    const file = join(sub, "config.json");
    await writeFile(file, "{}\n", { mode: 0o600 });
    await chown(file, 4242, 4343);
    expect((await herald(["--merge", file, "--include-password"], HERALD_ENV)).code).toBe(0);
    const after = await stat(file);
    expect([after.uid, after.gid, after.mode & 0o777]).toEqual([4242, 4343, 0o600]);
    expect(await readdir(sub)).toEqual(["config.json"]);
  });

  it("replaces the file a symlink points at, and leaves the link", async () => {
    const target = await tempFile("{}\n", 0o600);
    const link = join(dir, "config-link.json");
    await symlink(target, link);
    expect((await herald(["--merge", link], HERALD_ENV)).code).toBe(0);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(target);
    expect(JSON.parse(await readFile(target, "utf8")).EmailSettings.SMTPPort).toBe("465");
  });

  it("warns when the merged file holds the password and others may read it", async () => {
    const file = await tempFile("{}", 0o644);
    const run = await herald(["--merge", file, "--include-password"], HERALD_ENV);
    expect(run.stderr).toMatch(/mode 0644\) now holds the SMTP password .* chmod 600/);
  });

  it.each([
    ["a missing file", "missing.json", undefined],
    ["a file that is not JSON", "bad.json", `{"SqlSettings": {"DataSource": "${PASSWORD}"`],
    ["a JSON array", "array.json", "[]"],
    ["an EmailSettings that is not an object", "section.json", '{"EmailSettings": "x"}'],
  ])("refuses %s (exit 2), quoting none of it, and leaves it as it was", async (_name, base, content) => {
    const path = join(dir, base);
    if (content !== undefined) await writeFile(path, content);
    const run = await herald(["--merge", path, "--include-password"], HERALD_ENV);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(base);
    expect(run.stderr).not.toContain(PASSWORD);
    if (content !== undefined) expect(await readFile(path, "utf8")).toBe(content);
  });
});

describe("herald export: files and the password", () => {
  it("writes --output owner-only, even over a file others could read", async () => {
    const fresh = join(dir, "herald.env");
    expect(
      (await herald(["--format", "env", "--output", fresh, "--include-password"], HERALD_ENV)).code,
    ).toBe(0);
    expect((await stat(fresh)).mode & 0o777).toBe(0o600);
    const open = await tempFile("old", 0o644);
    expect((await herald(["--format", "env", "-o", open, "--include-password"], HERALD_ENV)).code).toBe(0);
    expect((await stat(open)).mode & 0o777).toBe(0o600);
    expect(await readFile(open, "utf8")).toContain(`MM_EMAILSETTINGS_SMTPPASSWORD=${PASSWORD}`);
  });

  it.each(["env", "docker-env", "config", "mmctl"])(
    "--format %s: the password never reaches a terminal (or JSON) without --include-password",
    async (format) => {
      for (const json of [[], ["--json"]]) {
        const run = await herald(["--format", format, ...json], HERALD_ENV, true);
        expect(run.code).toBe(0);
        expect(run.stdout + run.stderr).not.toContain(PASSWORD);
        expect(run.stdout).toContain("AKIAHERALDEXAMPLE");
        expect(run.stderr).toContain("EmailSettings.SMTPPassword was left out");
      }
      const asked = await herald(["--format", format, "--include-password"], HERALD_ENV, true);
      expect(asked.stdout).toContain(PASSWORD.slice(0, 8));
    },
  );

  it("runs as the installed binary, its stdout a pipe", async () => {
    const run = await runHerald(["export", "--format", "env"], HERALD_ENV);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("MM_EMAILSETTINGS_SMTPPORT=465\n");
    expect(run.stdout).not.toContain(PASSWORD);
    expect(run.stderr).toContain("EmailSettings.SMTPPassword was left out");
  });

  it("says why a file cannot be written (exit 1), and leaves nothing behind", async () => {
    const run = await herald(["--format", "env", "-o", join(dir, "no-such-dir", "herald.env")], HERALD_ENV);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("herald.env (ENOENT)");
  });

  it("is a usage error without --format, with an unknown one, or --merge with another format", async () => {
    expect((await herald([])).code).toBe(2);
    expect((await herald(["--format", "yaml"])).stderr).toContain(
      "choose one of env, docker-env, config, mmctl",
    );
    expect((await herald(["--format", "env", "--merge", "x.json"])).code).toBe(2);
    expect((await herald(["--merge", "a", "--output", "b"])).code).toBe(2);
  });

  it("every setting of the registry has one variable, and the alias Mattermost reads maps back to its setting", () => {
    const variables = SETTINGS.map((def) => envVarName(def.serverPath));
    expect(new Set(variables).size).toBe(SETTINGS.length);
    for (const def of SETTINGS) expect(SETTINGS_BY_ANY_PATH.get(def.serverPath)).toBe(def);
  });
});
