/**
 * What the sandbox writes under .herald-sandbox/ (git-ignored), so the CLI in another terminal
 * talks to the same servers:
 *   config.json  the settings (Mattermost's config.json shape), SMTP password included: 0600
 *   ca.pem       the SMTP server's certificate, for NODE_EXTRA_CA_CERTS
 *   env          the variables, one NAME=value a line: `set -a; . .herald-sandbox/env; set +a`
 */
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";

export interface SandboxFiles {
  dir: string;
  config: string;
  ca: string;
  env: string;
}

/** The files in `dir` (absolute paths: the env file names them for any working directory). */
export function sandboxFiles(directory: string): SandboxFiles {
  const dir = resolve(directory);
  return { dir, config: join(dir, "config.json"), ca: join(dir, "ca.pem"), env: join(dir, "env") };
}

/** A value as a POSIX shell word, quoted only when it needs to be. */
function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export async function writeSandboxFiles(
  files: SandboxFiles,
  content: { config: unknown; certificate: string; env: Record<string, string> },
): Promise<void> {
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  // the file holds this run's SMTP password: readable by its owner only, also when it existed
  await writeFile(files.config, `${JSON.stringify(content.config, null, 2)}\n`, { mode: 0o600 });
  await chmod(files.config, 0o600);
  await writeFile(files.ca, content.certificate);
  const lines = Object.entries(content.env).map(([name, value]) => `${name}=${shellWord(value)}`);
  await writeFile(
    files.env,
    `# Written by npm start; valid while it runs. Load it with: set -a; . ${shellWord(files.env)}; set +a\n${lines.join("\n")}\n`,
  );
}
