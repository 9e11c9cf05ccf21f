/**
 * SpamAssassin's verdict on a message, with its local rules only (-L: no network tests), as
 * the spam-score test of the notifications runs it. Run once per message, on demand.
 */
import { spawn, spawnSync } from "node:child_process";

export interface SpamRule {
  points: number;
  name: string;
  description: string;
}

export type SpamVerdict =
  { installed: true; score: number; rules: SpamRule[] } | { installed: false; hint: string };

export const SPAMASSASSIN_HINT = "SpamAssassin is not installed; on Debian: apt-get install -y spamassassin";

/** The score and the rules that fired, from `spamassassin -t`'s output. */
export function parseSpamReport(report: string): { score: number; rules: SpamRule[] } {
  const match = /^X-Spam-Status: \w+, score=(-?[\d.]+)/m.exec(report);
  if (!match) throw new Error(`no score in spamassassin's output: ${report.slice(0, 500)}`);
  const details = report.slice(report.indexOf("Content analysis details"));
  const rules = [
    ...details.matchAll(/^\s*(-?\d+(?:\.\d+)?)\s+([A-Z][A-Z0-9_]+)\s+(.*(?:\n {20,}\S.*)*)/gm),
  ].map((m) => ({
    points: Number(m[1]),
    name: m[2] ?? "",
    description: (m[3] ?? "").replace(/\s+/g, " ").trim(),
  }));
  return { score: Number(match[1]), rules };
}

let installed: boolean | undefined;
export function spamAssassinInstalled(): boolean {
  installed ??= spawnSync("spamassassin", ["--version"], { stdio: "ignore" }).status === 0;
  return installed;
}

/** Runs `spamassassin -L -t` on the raw message. */
export function spamVerdict(raw: string): Promise<SpamVerdict> {
  if (!spamAssassinInstalled()) return Promise.resolve({ installed: false, hint: SPAMASSASSIN_HINT });
  return new Promise((resolve, reject) => {
    const child = spawn("spamassassin", ["-L", "-t"], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", () => {
      try {
        resolve({ installed: true, ...parseSpamReport(stdout) });
      } catch (error) {
        reject(new Error(`${(error as Error).message} ${stderr.slice(0, 300)}`));
      }
    });
    child.stdin.end(raw);
  });
}

/** One verdict per key, computed on first ask. */
export function cachedSpamVerdicts(verdict: (raw: string) => Promise<SpamVerdict> = spamVerdict) {
  const cache = new Map<string, Promise<SpamVerdict>>();
  return (key: string, raw: string): Promise<SpamVerdict> => {
    let found = cache.get(key);
    if (!found) {
      found = verdict(raw);
      found.catch(() => cache.delete(key));
      cache.set(key, found);
    }
    return found;
  };
}
