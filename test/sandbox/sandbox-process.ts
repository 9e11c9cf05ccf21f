/**
 * `npm start` as a child process for the sandbox's tests: every port 0 (any free one), its
 * files in a temporary directory, and only the variables given (no MM_* from the shell).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { SANDBOX_SERVERS } from "../../sandbox/ports.ts";
import { projectRoot } from "../helpers/run-herald.ts";

export const ANY_FREE_PORTS: Record<string, string> = Object.fromEntries(
  Object.values(SANDBOX_SERVERS).map((server) => [server.variable, "0"]),
);

export interface SandboxProcess {
  child: ChildProcess;
  /** HERALD_SANDBOX_DIR of this run */
  dir: string;
  /** stdout and stderr so far, interleaved as they arrived */
  output(): string;
  /** resolves with the first match of `pattern` in the output; rejects when the process exits first */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** the exit: code, and ms from the last output to the exit */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** kill it if still running and remove its directory */
  cleanup(): Promise<void>;
}

export async function spawnSandbox(
  args: string[],
  env: Record<string, string> = {},
): Promise<SandboxProcess> {
  const dir = await mkdtemp(join(tmpdir(), "herald-sandbox-test-"));
  const child = spawn(process.execPath, ["sandbox/main.ts", ...args], {
    cwd: projectRoot,
    env: {
      PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
      HERALD_SANDBOX_DIR: dir,
      ...ANY_FREE_PORTS,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  const listeners = new Set<() => void>();
  let done = false;
  const onChunk = (chunk: string) => {
    text += chunk;
    for (const listener of listeners) listener();
  };
  child.stdout?.setEncoding("utf8").on("data", onChunk);
  child.stderr?.setEncoding("utf8").on("data", onChunk);
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>((resolve) => {
    child.once("exit", (code, signal) => {
      // the pipes may still hold the last output when the exit is seen
      child.once("close", () => {
        done = true;
        for (const listener of listeners) listener();
        resolve({ code, signal });
      });
    });
  });

  return {
    child,
    dir,
    output: () => text,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => finish(new Error(`no ${pattern} within ${timeoutMs} ms:\n${text}`)),
          timeoutMs,
        );
        const finish = (error?: Error, match?: RegExpMatchArray) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (match) resolve(match);
          else reject(error);
        };
        const check = () => {
          const match = pattern.exec(text);
          if (match) finish(undefined, match);
          else if (done) finish(new Error(`the sandbox exited before printing ${pattern}:\n${text}`));
        };
        listeners.add(check);
        check();
      });
    },
    exited,
    async cleanup() {
      if (!done) {
        child.kill("SIGKILL");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
