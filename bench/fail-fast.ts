/**
 * Fail-fast: `herald test-send` against servers that stall (at the greeting, after EHLO, in
 * DATA) or trickle their EHLO reply a byte every 500 ms, with SMTPServerTimeout 2. Measured:
 * the time from spawning the process to its exit, minus the CLI's start-up, taken side by
 * side as the same command against a port with nothing listening (it fails at once).
 */
import { runHeraldTimed } from "../test/helpers/run-herald.ts";
import {
  closedPort,
  startSilentServer,
  startStallAfterEhloServer,
  startStallInDataServer,
  startTricklingEhloServer,
  type TestSmtpServer,
} from "../test/helpers/smtp-servers.ts";
import { summarize, type Summary } from "./stats.ts";
import { smtpSettingsEnv } from "./events.ts";

export const FAIL_FAST_TIMEOUT_SECONDS = 2;
/** Budget: the timeout plus one second, after the CLI's start-up. */
export const FAIL_FAST_BUDGET_MS = (FAIL_FAST_TIMEOUT_SECONDS + 1) * 1000;

const CASES: Array<{ name: string; start: () => Promise<TestSmtpServer> }> = [
  { name: "stall at greeting", start: startSilentServer },
  { name: "stall after EHLO", start: startStallAfterEhloServer },
  { name: "stall in DATA", start: startStallInDataServer },
  { name: "trickle (1 byte / 500 ms)", start: () => startTricklingEhloServer(500) },
];

export interface FailFastCase {
  name: string;
  /** where the report says it stopped, and its error code (from the last run) */
  stage: string;
  code: string;
  exitCode: number;
  exitMs: Summary;
  /** exit time minus the start-up baseline's median */
  afterStartupMs: number;
}

export interface FailFastResult {
  runs: number;
  timeoutSeconds: number;
  /** `herald test-send` to a closed port: start-up, settings, a refused connection, exit */
  startupMs: Summary;
  cases: FailFastCase[];
}

function testSendEnv(port: number): Record<string, string> {
  return {
    ...smtpSettingsEnv(port),
    MM_EMAILSETTINGS_SMTPSERVERTIMEOUT: String(FAIL_FAST_TIMEOUT_SECONDS),
  };
}

interface Run {
  exitMs: number;
  exitCode: number;
  stage: string;
  code: string;
}

async function testSend(port: number): Promise<Run> {
  const run = await runHeraldTimed(["test-send", "--to", "bench@example.com", "--json"], testSendEnv(port));
  let report: { stage?: string; error?: { code?: string } } = {};
  try {
    report = JSON.parse(run.stdout) as typeof report;
  } catch {
    // no report: the stage and code say so
  }
  return {
    exitMs: run.exitMs,
    exitCode: run.code,
    stage: report.stage ?? "(no report)",
    code: report.error?.code ?? (run.stderr.trim().split("\n")[0] || "(none)"),
  };
}

export async function runFailFast(options: {
  runs: number;
  log?: (line: string) => void;
}): Promise<FailFastResult> {
  const log = options.log ?? (() => undefined);
  const refused = await closedPort();
  const servers: TestSmtpServer[] = [];
  try {
    for (const c of CASES) servers.push(await c.start());
    const startup: number[] = [];
    const runs = CASES.map(() => [] as Run[]);
    await testSend(refused); // warm the file cache
    for (let round = 0; round < options.runs; round++) {
      startup.push((await testSend(refused)).exitMs);
      for (const [i, server] of servers.entries()) runs[i]?.push(await testSend(server.port));
      log(`fail-fast round ${round + 1}/${options.runs}`);
    }
    const startupMs = summarize(startup);
    return {
      runs: options.runs,
      timeoutSeconds: FAIL_FAST_TIMEOUT_SECONDS,
      startupMs,
      cases: CASES.map((c, i) => {
        const caseRuns = runs[i] ?? [];
        const last = caseRuns[caseRuns.length - 1];
        const exitMs = summarize(caseRuns.map((run) => run.exitMs));
        return {
          name: c.name,
          stage: last?.stage ?? "",
          code: last?.code ?? "",
          exitCode: last?.exitCode ?? -1,
          exitMs,
          afterStartupMs: exitMs.median - startupMs.median,
        };
      }),
    };
  } finally {
    await Promise.all(servers.map((server) => server.close()));
  }
}
