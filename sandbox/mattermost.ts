/**
 * The sandbox's Mattermost step: its settings handed to a Mattermost server the way an
 * operator would, with `herald export` (merged into a full Mattermost config.json, and as an
 * env file), then read back with `herald validate`: both must give the settings the sandbox
 * runs with, password included (compared here, never printed).
 */
import { execFile } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { writeOwnerOnly } from "../src/cli/atomic-file.ts";
import type { CliIo } from "../src/cli/io.ts";
import { runCli } from "../src/cli/main.ts";
import { loadSettings } from "../src/settings/load.ts";
import type { SandboxFiles } from "./files.ts";
import type { StepOutcome } from "./progress.ts";

const EXAMPLE_CONFIG = join(import.meta.dirname, "../examples/mattermost-config.json");

/** Run a herald command in this process with only the given environment. */
async function herald(args: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

/** The MM_* variables an env file sets, as sh (and systemd) read it. */
async function readEnvFile(path: string): Promise<Record<string, string>> {
  const { stdout } = await promisify(execFile)("sh", ["-c", 'set -a; . "$1"; exec env -0', "sh", path], {
    env: {},
  });
  return Object.fromEntries(
    stdout
      .split("\0")
      .filter((entry) => entry.startsWith("MM_"))
      .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
  );
}

type Files = Pick<SandboxFiles, "config" | "mattermostConfig" | "mattermostEnv">;

export async function mattermostRoundTrip(files: Files): Promise<StepOutcome> {
  const expected = "both files owner-only, read back by herald validate as the same valid settings";
  // A Mattermost config.json to merge into: the example's, every section of a real one.
  await writeOwnerOnly(files.mattermostConfig, await readFile(EXAMPLE_CONFIG, "utf8"));
  const source = ["--config", files.config, "--include-password"];
  const merged = await herald(["export", ...source, "--merge", files.mattermostConfig, "--json"]);
  const envFile = await herald(["export", ...source, "--format", "env", "--output", files.mattermostEnv]);
  if (merged.code !== 0 || envFile.code !== 0) {
    return { ok: false, detail: `herald export exited ${merged.code}, ${envFile.code}`, expected };
  }
  const count = (JSON.parse(merged.stdout) as { settings: unknown[] }).settings.length;

  const exportedEnv = await readEnvFile(files.mattermostEnv);
  const validate = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const run = await herald(["validate", ...args, "--json"], env);
    return { code: run.code, result: JSON.parse(run.stdout) as { valid: boolean; settings: unknown } };
  };
  const original = await validate(["--config", files.config]);
  const fromConfig = await validate(["--config", files.mattermostConfig]);
  const fromEnv = await validate([], exportedEnv);
  // validate shows the password masked: the whole settings, password included, compared too
  const full = async (options: Parameters<typeof loadSettings>[0]) =>
    JSON.stringify((await loadSettings(options)).settings);
  const sameSecrets =
    (await full({ env: {}, configFile: files.config })) ===
      (await full({ env: {}, configFile: files.mattermostConfig })) &&
    (await full({ env: {}, configFile: files.config })) === (await full({ env: exportedEnv }));
  const shown = JSON.stringify(original.result.settings);
  const same =
    sameSecrets &&
    JSON.stringify(fromConfig.result.settings) === shown &&
    JSON.stringify(fromEnv.result.settings) === shown;
  const valid = [original, fromConfig, fromEnv].every((run) => run.code === 0 && run.result.valid);
  const modes = await Promise.all(
    [files.mattermostConfig, files.mattermostEnv].map(async (f) => (await stat(f)).mode & 0o777),
  );
  const ownerOnly = modes.every((mode) => mode === 0o600);
  const ok = same && valid && ownerOnly;
  return {
    ok,
    detail: ok
      ? `${count} settings into a Mattermost config.json and an env file; herald validate reads back the same settings, valid`
      : `same settings: ${same}, valid: ${valid}, owner-only: ${ownerOnly}`,
    expected,
  };
}
