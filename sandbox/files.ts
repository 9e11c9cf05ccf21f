/**
 * What the sandbox writes under .herald-sandbox/ (git-ignored), so the CLI in another terminal
 * talks to the same servers:
 *   config.json  the settings (Mattermost's config.json shape), SMTP password included
 *   ca.pem       the SMTP server's certificate, for NODE_EXTRA_CA_CERTS
 *   env          the variables, one NAME=value a line: `set -a; . .herald-sandbox/env; set +a`
 *   mattermost-config.json, mattermost.env
 *                the settings as `herald export` hands them to a Mattermost server
 * Each file is its owner's only (0600); a directory made for them too (0700).
 */
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";

export interface SandboxFiles {
  dir: string;
  config: string;
  ca: string;
  env: string;
  mattermostConfig: string;
  mattermostEnv: string;
}

/** The files in `dir` (absolute paths: the env file names them for any working directory). */
export function sandboxFiles(directory: string): SandboxFiles {
  const dir = resolve(directory);
  return {
    dir,
    config: join(dir, "config.json"),
    ca: join(dir, "ca.pem"),
    env: join(dir, "env"),
    mattermostConfig: join(dir, "mattermost-config.json"),
    mattermostEnv: join(dir, "mattermost.env"),
  };
}

/** A value as a POSIX shell word, quoted only when it needs to be. */
function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Write a new file beside `path` (owner-only, created, never opened through a symlink or a
 * file left there) and rename it over `path`: an existing file's mode, or a link planted in
 * its place, cannot make the content readable by others or land somewhere else.
 */
async function replaceFile(path: string, content: string): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(temporary, content, { mode: 0o600, flag: "wx" });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

export async function writeSandboxFiles(
  files: SandboxFiles,
  content: { config: unknown; certificate: string; env: Record<string, string> },
): Promise<void> {
  // A directory that exists keeps its mode (HERALD_SANDBOX_DIR may name a shared one): the
  // files in it are owner-only whatever it allows.
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  // config.json holds this run's SMTP password
  await replaceFile(files.config, `${JSON.stringify(content.config, null, 2)}\n`);
  await replaceFile(files.ca, content.certificate);
  const lines = Object.entries(content.env).map(([name, value]) => `${name}=${shellWord(value)}`);
  await replaceFile(
    files.env,
    `# Written by npm start; valid while it runs. Load it with: set -a; . ${shellWord(files.env)}; set +a\n${lines.join("\n")}\n`,
  );
}
