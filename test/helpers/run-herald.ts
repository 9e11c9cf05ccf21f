import { execFile, spawn } from "node:child_process";
import { dirname, join } from "node:path";

export const projectRoot = join(import.meta.dirname, "../..");
const bin = join(projectRoot, "node_modules/.bin/herald");

export interface HeraldRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Node 24 (the one running the tests) first on PATH, and only the given environment variables. */
function heraldEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, ...env };
}

/** Run the installed `herald` binary as `npx herald` would. */
export function runHerald(args: string[], env: Record<string, string> = {}): Promise<HeraldRun> {
  return new Promise((resolve) => {
    execFile(bin, args, { cwd: projectRoot, env: heraldEnv(env), timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

export interface TimedHeraldRun extends HeraldRun {
  /** ms from the start to the last chunk written to stdout */
  lastOutputMs: number;
  /** ms from the start to the process's exit */
  exitMs: number;
}

/** runHerald, also saying when the process last wrote to stdout and when it exited. */
export function runHeraldTimed(args: string[], env: Record<string, string> = {}): Promise<TimedHeraldRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(bin, args, { cwd: projectRoot, env: heraldEnv(env), timeout: 30_000 });
    let stdout = "";
    let stderr = "";
    let lastOutputMs = 0;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      lastOutputMs = performance.now() - started;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", reject);
    child.once("exit", (code) => {
      const exitMs = performance.now() - started;
      // the pipes may still hold the last output when the exit is seen
      child.once("close", () => resolve({ code: code ?? 1, stdout, stderr, lastOutputMs, exitMs }));
    });
  });
}
