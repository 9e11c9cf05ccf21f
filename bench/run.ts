/**
 * `npm run bench`: every budget against anchors built and measured in the same run; prints
 * each budget with PASS/FAIL and writes BENCHMARKS.md (bench/report.ts). Never part of the
 * test suite.
 *
 *   npm run bench                        the figures of record (several minutes)
 *   npm run bench -- --quick             small sizes, to debug the benchmarks (BENCHMARKS.md says so)
 *   npm run bench -- --only cold,quota   one or more of: cold, quota, smtp, ses, fail-fast, memory
 *   npm run bench -- --no-write          print only
 *   npm run bench -- --report            rewrite BENCHMARKS.md from bench/last-run.json (no measuring)
 *
 * Anchors: (a) SES-only and (b) SSM + SES hand-written handlers (bench/anchors), (c) bare SDK
 * SendEmail (ses-worker.ts), (d) a bare nodemailer pool (nodemailer-pool-client.ts), (d') that pool
 * composing each message (nodemailer-compose-client.ts), (e) the raw
 * pipelining client (raw-smtp-client.ts).
 */
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { readCommittedSizes } from "./bundle-guard.ts";
import { buildLambda, lambdaNames } from "./bundles.ts";
import { measureColdAnchors } from "./cold-anchors.ts";
import { runCpuShares } from "./cpu-shares.ts";
import { runFailFast } from "./fail-fast.ts";
import { measureFirstError } from "./first-error.ts";
import { runMemory } from "./memory.ts";
import { budgets, consoleTable, markdown, type BenchResults } from "./report.ts";
import { runSesPath } from "./ses-path.ts";
import { runSmtpThroughput } from "./smtp-throughput.ts";
import { PROJECT_ROOT } from "./workload.ts";

/** The last run's data, written before the report: BENCHMARKS.md can be rewritten from it. */
const LAST_RUN = join(PROJECT_ROOT, "bench/last-run.json");

const SECTIONS = ["cold", "quota", "smtp", "ses", "fail-fast", "memory"] as const;
type Section = (typeof SECTIONS)[number];

/** Sizes: the figures of record, and a quick pass for debugging. */
const SIZES = {
  full: {
    coldRounds: 7,
    firstErrorRounds: 7,
    quotaColdRounds: 5,
    sizeRounds: 2,
    sizeMessages: 100,
    smtpMessages: 2000,
    smtpRuns: 3,
    sesMessages: 500,
    sesRuns: 3,
    failRuns: 2,
    memoryEvents: 1000,
    memoryRuns: 2,
  },
  quick: {
    coldRounds: 3,
    firstErrorRounds: 2,
    quotaColdRounds: 2,
    sizeRounds: 1,
    sizeMessages: 30,
    smtpMessages: 200,
    smtpRuns: 1,
    sesMessages: 50,
    sesRuns: 1,
    failRuns: 1,
    memoryEvents: 100,
    memoryRuns: 1,
  },
};

function log(line: string): void {
  process.stderr.write(
    `[bench ${new Date().toISOString().slice(11, 19)} load ${os.loadavg()[0]!.toFixed(1)}] ${line}\n`,
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      "no-write": { type: "boolean", default: false },
      report: { type: "boolean", default: false },
    },
  });
  if (values.report) {
    const saved = JSON.parse(readFileSync(LAST_RUN, "utf8")) as BenchResults;
    const results = {
      ...saved,
      startedAt: new Date(saved.startedAt),
      finishedAt: new Date(saved.finishedAt),
    };
    writeFileSync(join(PROJECT_ROOT, "BENCHMARKS.md"), markdown(results));
    process.stdout.write(`${consoleTable(budgets(results))}\n`);
    return 0;
  }
  const only = values.only?.split(",").map((s) => s.trim()) ?? [...SECTIONS];
  const unknown = only.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length > 0) {
    process.stderr.write(`unknown section(s) ${unknown.join(", ")}; choose from ${SECTIONS.join(", ")}\n`);
    return 2;
  }
  const wanted = (section: Section) => only.includes(section);
  const size = values.quick ? SIZES.quick : SIZES.full;
  const results: BenchResults = {
    startedAt: new Date(),
    finishedAt: new Date(),
    quick: values.quick,
    loads: {},
  };
  const section = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const before = os.loadavg()[0]!;
    const value = await run();
    results.loads[name] = [before, os.loadavg()[0]!];
    return value;
  };
  const runLoad = os.loadavg()[0]!;

  if (wanted("cold")) {
    log(`cold import CPU against anchors (a) and (b), ${size.coldRounds} rounds`);
    results.anchors = await section("cold", () => measureColdAnchors(size.coldRounds));
    log(`first error: lazy mapping against --enable-source-maps, ${size.firstErrorRounds} rounds`);
    results.firstError = await section("first-error", () => measureFirstError(size.firstErrorRounds));
    const committed = readCommittedSizes();
    results.bundles = await Promise.all(
      lambdaNames().map(async (name) => {
        const bundle = await buildLambda(name);
        return { name, bytes: bundle.bytes, lazyBytes: bundle.lazyBytes, committed: committed[name] };
      }),
    );
  }
  if (wanted("quota")) {
    log("CPU quotas: cold test-send at 15% against anchor (b); memory sizes");
    results.shares = await section("quota", () =>
      runCpuShares({
        coldRounds: size.quotaColdRounds,
        sizeRounds: size.sizeRounds,
        sizeMessages: size.sizeMessages,
        log,
      }),
    );
  }
  if (wanted("ses")) {
    log(`SES API path: ${size.sesMessages} messages x ${size.sesRuns} rounds`);
    results.ses = await section("ses", () =>
      runSesPath({ messages: size.sesMessages, runs: size.sesRuns, log }),
    );
  }
  if (wanted("smtp")) {
    log(`SMTP throughput: ${size.smtpMessages} messages x ${size.smtpRuns} rounds`);
    results.smtp = await section("smtp", () =>
      runSmtpThroughput({ messages: size.smtpMessages, runs: size.smtpRuns, log }),
    );
  }
  if (wanted("memory")) {
    log(`memory: ${size.memoryEvents} events x ${size.memoryRuns} runs`);
    results.memory = await section("memory", () =>
      runMemory({ events: size.memoryEvents, runs: size.memoryRuns, log }),
    );
  }
  if (wanted("fail-fast")) {
    log(`fail-fast: ${size.failRuns} rounds`);
    results.failFast = await section("fail-fast", () => runFailFast({ runs: size.failRuns, log }));
  }
  results.finishedAt = new Date();
  results.loads.run = [runLoad, os.loadavg()[0]!];

  const rows = budgets(results);
  process.stdout.write(`\n${consoleTable(rows)}\n`);
  if (!values["no-write"]) {
    writeFileSync(LAST_RUN, `${JSON.stringify(results, null, 1)}\n`);
    const file = join(PROJECT_ROOT, "BENCHMARKS.md");
    writeFileSync(file, markdown(results));
    log(`wrote ${file}`);
  }
  log(`${rows.length} budgets, ${rows.filter((row) => !row.holds).length} do not hold (BENCHMARKS.md)`);
  // A budget that does not hold is a finding, not a failure of the run.
  return 0;
}

process.exitCode = await main();
