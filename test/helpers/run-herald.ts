import { execFile } from "node:child_process";
import { dirname, join } from "node:path";

export const projectRoot = join(import.meta.dirname, "../..");
const bin = join(projectRoot, "node_modules/.bin/herald");

export interface HeraldRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run the installed `herald` binary as `npx herald` would: Node 24 (the one running the
 * tests) first on PATH, and only the given environment variables.
 */
export function runHerald(args: string[], env: Record<string, string> = {}): Promise<HeraldRun> {
  return new Promise((resolve) => {
    execFile(
      bin,
      args,
      {
        cwd: projectRoot,
        env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, ...env },
        timeout: 30_000,
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
