/**
 * `npm run bench`: every benchmark, side by side with its baseline; prints a table and writes
 * BENCHMARKS.md. Never part of the test suite.
 *
 *   npm run bench                     the figures of record (a few minutes)
 *   npm run bench -- --quick          small sizes, to debug the benchmarks (BENCHMARKS.md says so)
 *   npm run bench -- --only cold,smtp one or more of: cold, smtp, ses, fail-fast, memory
 *   npm run bench -- --no-write       print only
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { coldAnchorsMarkdown, measureColdAnchors, type ColdAnchorResult } from "./cold-anchors.ts";
import { runColdPath } from "./cold-start.ts";
import { runExperiments } from "./experiments.ts";
import { runFailFast } from "./fail-fast.ts";
import { runMemory } from "./memory.ts";
import { consoleTable, markdown, rows, type BenchResults } from "./report.ts";
import { runSesPath } from "./ses-path.ts";
import { runSmtpThroughput } from "./smtp-throughput.ts";
import { PROJECT_ROOT } from "./workload.ts";

const SECTIONS = ["cold", "smtp", "ses", "fail-fast", "memory"] as const;
type Section = (typeof SECTIONS)[number];

/** Sizes: the figures of record, and a quick pass for debugging. */
const SIZES = {
  full: {
    coldRuns: 15,
    smtpMessages: 2000,
    smtpRuns: 5,
    sesMessages: 1000,
    sesRuns: 5,
    failRuns: 3,
    memoryEvents: 1000,
    memoryRuns: 3,
  },
  quick: {
    coldRuns: 3,
    smtpMessages: 200,
    smtpRuns: 2,
    sesMessages: 100,
    sesRuns: 2,
    failRuns: 1,
    memoryEvents: 100,
    memoryRuns: 1,
  },
};

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      "no-write": { type: "boolean", default: false },
    },
  });
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
    loadAtStart: os.loadavg()[0] ?? 0,
    loadAtEnd: 0,
  };

  let anchors: ColdAnchorResult | undefined;
  if (wanted("cold")) {
    log("cold path: each Lambda's CPU at import against anchors (a) and (b) built now");
    anchors = await measureColdAnchors(Math.max(3, Math.ceil(size.coldRuns / 2)));
    log("cold path: bundling and importing each Lambda");
    results.cold = await runColdPath({ runs: size.coldRuns, log });
    log("cold path: what was tried (zod import styles, html-to-text)");
    results.experiments = await runExperiments({ runs: Math.max(3, Math.ceil(size.coldRuns / 2)) });
  }
  if (wanted("smtp")) {
    log(`SMTP throughput: ${size.smtpMessages} messages x ${size.smtpRuns} rounds`);
    results.smtp = await runSmtpThroughput({ messages: size.smtpMessages, runs: size.smtpRuns, log });
  }
  if (wanted("ses")) {
    log(`SES API path: ${size.sesMessages} messages x ${size.sesRuns} rounds`);
    results.ses = await runSesPath({ messages: size.sesMessages, runs: size.sesRuns, log });
  }
  if (wanted("fail-fast")) {
    log(`fail-fast: ${size.failRuns} rounds`);
    results.failFast = await runFailFast({ runs: size.failRuns, log });
  }
  if (wanted("memory")) {
    log(`memory: ${size.memoryEvents} events x ${size.memoryRuns} runs`);
    results.memory = await runMemory({ events: size.memoryEvents, runs: size.memoryRuns, log });
  }
  results.finishedAt = new Date();
  results.loadAtEnd = os.loadavg()[0] ?? 0;

  const table = rows(results);
  const anchorSection = anchors
    ? `\n## Cold import against anchors (issue 19)\n\n${coldAnchorsMarkdown(anchors)}\n`
    : "";
  process.stdout.write(`\n${consoleTable(table)}\n${anchorSection}\n`);
  if (!values["no-write"]) {
    const file = join(PROJECT_ROOT, "BENCHMARKS.md");
    writeFileSync(file, markdown(results) + anchorSection);
    log(`wrote ${file}`);
  }
  const failed = table.filter((row) => row.holds === false).length;
  log(`${table.length} figures, ${failed} over budget (BENCHMARKS.md says why)`);
  // A budget that does not hold is a finding, not a failure of the run.
  return 0;
}

process.exitCode = await main();
