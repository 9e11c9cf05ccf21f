/**
 * The benchmark's report: every budget with its anchor measured in the same run (console and
 * BENCHMARKS.md), and each section's figures with the load average it ran under. Every
 * sentence that states a result or a choice is computed from the run's data.
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import {
  COLD_RATIO_BUDGETS,
  DEFAULT_COLD_RATIO_BUDGET,
  WITH_MAPS_FLAG,
  coldAnchorsMarkdown,
  type ColdAnchorResult,
} from "./cold-anchors.ts";
import { PER_NOTIFICATION, PRICES, costAt } from "./cost.ts";
import { QUOTA_COLD_BUDGET, type CpuSharesResult } from "./cpu-shares.ts";
import { MB_PER_VCPU } from "./cpu-quota.ts";
import { FAIL_FAST_BUDGET_MS, type FailFastResult } from "./fail-fast.ts";
import type { FirstErrorResult } from "./first-error.ts";
import { MEMORY_BUDGET_BYTES, MEMORY_BUDGET_VARIANT, type MemoryResult } from "./memory.ts";
import { PROMISED_HEADERS, SES_BUDGET, type SesPathResult } from "./ses-path.ts";
import { SIMPLE_HEADER_VALUE_CHARS } from "../src/mail/ses-content.ts";
import { THROUGHPUT_BUDGET, type ThroughputResult } from "./smtp-throughput.ts";
import { formatSummary, type Summary } from "./stats.ts";
import { NOTIFICATION_LIMITS } from "../src/notifications/schema.ts";
import { PROJECT_ROOT } from "./workload.ts";

/** Load average (1 min) before and after a section. */
export type Load = [number, number];

export interface BundleSize {
  name: string;
  bytes: number;
  lazyBytes: number;
  committed?: number;
}

export interface BenchResults {
  startedAt: Date;
  finishedAt: Date;
  quick: boolean;
  loads: Record<string, Load>;
  anchors?: ColdAnchorResult;
  firstError?: FirstErrorResult;
  bundles?: BundleSize[];
  shares?: CpuSharesResult;
  smtp?: ThroughputResult;
  ses?: SesPathResult;
  failFast?: FailFastResult;
  memory?: MemoryResult;
}

export interface Budget {
  name: string;
  measured: string;
  anchor: string;
  result: string;
  budget: string;
  holds: boolean;
  /** a figure shown next to the result that the budget does not judge */
  note?: string;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const ms = (s: Summary, digits = 0) => `${formatSummary(s, digits)} ms`;
const loadText = (load: Load | undefined) =>
  load ? `load average ${load[0].toFixed(1)} -> ${load[1].toFixed(1)}` : "load average not recorded";
const holdsText = (holds: boolean) => (holds ? "PASS" : "**FAIL**");
const usd = (value: number) => `$${value.toFixed(2)}`;

function table(header: string[], body: string[][]): string {
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...body.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");
}

/** The deployed memory sizes, read from the stack's code (so this report cannot go stale). */
export function deployedMemorySizes(): { default: number; sendNotification: number } {
  const fn = readFileSync(join(PROJECT_ROOT, "lib/private/herald-function.ts"), "utf8");
  const pipeline = readFileSync(join(PROJECT_ROOT, "lib/notification-pipeline.ts"), "utf8");
  return {
    default: Number(/memorySize: props\.memorySize \?\? (\d+)/.exec(fn)?.[1] ?? Number.NaN),
    sendNotification: Number(/memorySize: (\d+)/.exec(pipeline)?.[1] ?? Number.NaN),
  };
}

export function budgets(r: BenchResults): Budget[] {
  const out: Budget[] = [];
  if (r.anchors) {
    const anchor = r.anchors.over["anchor (b) SSM + SES"]!;
    for (const [label, summary] of Object.entries(r.anchors.over)) {
      if (label.includes(",") || label.startsWith("anchor")) continue;
      const limit = COLD_RATIO_BUDGETS[label] ?? DEFAULT_COLD_RATIO_BUDGET;
      const ratio = summary.median / anchor.median;
      out.push({
        name: `cold import CPU: ${label}`,
        measured: `+${summary.median.toFixed(0)} ms`,
        anchor: `(b) +${anchor.median.toFixed(0)} ms`,
        result: `${ratio.toFixed(2)}x`,
        budget: `<= ${limit}x`,
        holds: ratio <= limit,
      });
    }
  }
  const cold = r.shares?.quotaCold;
  if (cold) {
    out.push({
      name: `cold test-send at ${cold.share * 100}% CPU (wall)`,
      measured: `${cold.wallMs.testSend.median.toFixed(0)} ms`,
      anchor: `(b) ${cold.wallMs.anchorB.median.toFixed(0)} ms`,
      result: `${cold.ratio.toFixed(2)}x`,
      budget: `<= ${QUOTA_COLD_BUDGET}x`,
      holds: cold.ratio <= QUOTA_COLD_BUDGET,
    });
  }
  if (r.ses) {
    out.push({
      name: "SES API path: CPU per message",
      measured: `${r.ses.heraldCpuMsPerMessage.median.toFixed(2)} ms`,
      anchor: `(c) ${r.ses.directCpuMsPerMessage.median.toFixed(2)} ms`,
      result: `${r.ses.cpuRatio.toFixed(2)}x`,
      budget: `<= ${SES_BUDGET}x`,
      holds: r.ses.cpuRatio <= SES_BUDGET,
    });
  }
  if (r.smtp) {
    out.push({
      name: `SMTP throughput (${r.smtp.connections} connections)`,
      measured: `${r.smtp.heraldRate.toFixed(0)} msg/s`,
      anchor: `(d) ${r.smtp.poolRate.toFixed(0)} msg/s`,
      result: `${r.smtp.poolRatio.toFixed(2)}x`,
      budget: `>= ${THROUGHPUT_BUDGET}x`,
      holds: r.smtp.poolRatio >= THROUGHPUT_BUDGET,
      ...(r.smtp.composeRatio !== undefined && r.smtp.composeRate !== undefined
        ? {
            note: `against (d') the pool composing each message, ${r.smtp.composeRate.toFixed(0)} msg/s: ${r.smtp.composeRatio.toFixed(2)}x`,
          }
        : {}),
    });
  }
  const heap = r.memory?.variants.find((v) => v.name === MEMORY_BUDGET_VARIANT);
  if (r.memory && heap) {
    out.push({
      name: `peak RSS, ${r.memory.events} events in batches of ${r.memory.batchSize}, ${heap.name}`,
      measured: mb(heap.peakRssBytes.median),
      anchor: `bare worker ${mb(r.memory.baselineRssBytes.median)}`,
      result: mb(heap.peakRssBytes.median),
      budget: `< ${mb(MEMORY_BUDGET_BYTES)}`,
      holds: heap.peakRssBytes.median < MEMORY_BUDGET_BYTES,
    });
  }
  for (const size of r.bundles ?? []) {
    if (size.committed === undefined) continue;
    out.push({
      name: `bundle guard: ${size.name} at cold start`,
      measured: kb(size.bytes),
      anchor: `committed ${kb(size.committed)}`,
      result: `${((size.bytes / size.committed - 1) * 100).toFixed(1)}%`,
      budget: "<= +10%",
      holds: size.bytes <= size.committed * 1.1,
    });
  }
  for (const c of r.failFast?.cases ?? []) {
    out.push({
      name: `fail-fast: ${c.name}`,
      measured: `exit ${c.exitMs.median.toFixed(0)} ms (${c.stage} ${c.code})`,
      anchor: `start-up ${r.failFast!.startupMs.median.toFixed(0)} ms`,
      result: `+${c.afterStartupMs.toFixed(0)} ms`,
      budget: `<= ${FAIL_FAST_BUDGET_MS} ms`,
      holds: c.afterStartupMs <= FAIL_FAST_BUDGET_MS && c.exitCode === 1 && c.code === "ETIMEDOUT",
    });
  }
  return out;
}

export function consoleTable(rows: Budget[]): string {
  return rows
    .map(
      (b) =>
        `${b.holds ? "PASS" : "FAIL"}  ${b.name}: ${b.measured} vs ${b.anchor} = ${b.result} (budget ${b.budget})` +
        (b.note ? `; ${b.note}` : ""),
    )
    .join("\n");
}

function sourceMapsSection(r: BenchResults): string {
  const fe = r.firstError;
  if (!fe || !r.anchors) return "";
  const flagCosts = Object.entries(r.anchors.over)
    .filter(([label]) => !label.startsWith("anchor") && !label.includes(","))
    .map(([label, s]) => [label, r.anchors!.over[`${label}, ${WITH_MAPS_FLAG}`]!.median - s.median] as const);
  const lazyTotal = fe.lazy.totalCpuMs.median;
  const flagTotal = fe.flag.totalCpuMs.median;
  const chosen = lazyTotal <= flagTotal ? "lazy mapping" : "--enable-source-maps";
  return [
    "## Source maps: readable stacks without the start-up tax",
    "",
    `Deployed: no \`--enable-source-maps\`; \`src/lambda/stack-traces.ts\` (injected into every bundle) maps a stack ` +
      "through the chunk's `.map` when it is first formatted. Measured here (" +
      `${loadText(fe.load)}): the smtp-credentials bundle imported, invoked to fail, its stack read once, ` +
      `${fe.rounds} interleaved rounds, CPU ms:`,
    "",
    table(
      ["mode", "import", "first stack", "whole process", "stack's first frames"],
      [
        ["lazy mapping (deployed)", ms(fe.lazy.importCpuMs), ms(fe.lazy.stackCpuMs), ms(fe.lazy.totalCpuMs)],
        ["--enable-source-maps", ms(fe.flag.importCpuMs), ms(fe.flag.stackCpuMs), ms(fe.flag.totalCpuMs)],
      ].map((row, i) => [
        ...row,
        `\`${(i === 0 ? fe.lazy : fe.flag).sample.split("\n").slice(1, 3).join(" / ")}\``,
      ]),
    ),
    "",
    `What the flag adds to each cold import (cold-import table below, with minus without): ` +
      flagCosts.map(([label, cost]) => `${label} ${cost >= 0 ? "+" : ""}${cost.toFixed(0)} ms`).join(", ") +
      ". " +
      `Chosen by this run: **${chosen}** (whole process ${lazyTotal.toFixed(0)} against ${flagTotal.toFixed(0)} ms of CPU ` +
      "for a cold start that fails once; a cold start that does not fail pays only the import column). " +
      "Names kept without maps (no identifier minification) are measured in the cold-import table as " +
      "`names kept, no maps`: they name functions but not source modules.",
  ].join("\n");
}

function sharesSection(r: BenchResults): string {
  const s = r.shares;
  if (!s) return "";
  if (s.skipped) return `## CPU quotas\n\nSkipped: ${s.skipped}.`;
  const lines = ["## CPU quotas (cgroup v1 `cpu.cfs_quota_us`)", ""];
  const c = s.quotaCold;
  if (c) {
    lines.push(
      `Cold import wall time at ${c.share * 100}% of one CPU, ${c.rounds} interleaved rounds (${loadText(c.load)}): ` +
        `\`node -e 0\` ${ms(c.wallMs.baseline)}, anchor (b) ${ms(c.wallMs.anchorB)}, test-send ${ms(c.wallMs.testSend)}: ` +
        `**${c.ratio.toFixed(2)}x** anchor (b) (budget <= ${QUOTA_COLD_BUDGET}x: ${holdsText(c.ratio <= QUOTA_COLD_BUDGET)}).`,
      "",
    );
  }
  if (s.sizes) {
    const deployed = deployedMemorySizes();
    const costs = s.sizes.map(costAt);
    const cheapest = costs.reduce((a, b) => (b.perMillion.total < a.perMillion.total ? b : a));
    lines.push(
      `### Memory sizes: cold start, per-message cost, cost per million notifications`,
      "",
      `A function of M MB gets M / ${MB_PER_VCPU} of one CPU; each size runs under that quota (${loadText(s.sizesLoad)}). ` +
        `Cold: wall time of a fresh process importing the bundle. Per message: the send-notification handler on the ` +
        `SES API path (aws-ses-v2-local outside the quota), ${s.sizeMessages} messages in batches of ${PER_NOTIFICATION.batchSize} after a warm-up batch.`,
      "",
      table(
        [
          "memory",
          "CPU share",
          "cold send-notification",
          "cold test-send",
          "wall per message",
          "CPU per message",
          "GB-s per notification",
          "cost per million",
        ],
        s.sizes.map((size, i) => [
          `${size.memoryMb} MB`,
          `${(size.share * 100).toFixed(1)}%`,
          ms(size.coldMs.sendNotification),
          ms(size.coldMs.testSend),
          ms(size.perMessageMs, 1),
          ms(size.perMessageCpuMs, 1),
          costs[i]!.gbSecondsPerNotification.toFixed(4),
          usd(costs[i]!.perMillion.total),
        ]),
      ),
      "",
      "Cost per million notifications (one recipient, delivered; SES apart), by part:",
      "",
      table(
        [
          "memory",
          "Lambda compute (send-notification)",
          "Lambda requests",
          "DynamoDB",
          "SQS",
          "EventBridge",
          "total",
        ],
        costs.map((cost) => [
          `${cost.memoryMb} MB`,
          usd(cost.perMillion.lambdaCompute),
          usd(cost.perMillion.lambdaRequests),
          usd(cost.perMillion.dynamo),
          usd(cost.perMillion.sqs),
          usd(cost.perMillion.eventBridge),
          `**${usd(cost.perMillion.total)}**`,
        ]),
      ),
      "",
      `Inputs (bench/cost.ts): Arm Lambda ${PRICES.lambdaArmGbSecond} USD per GB-s and ${PRICES.lambdaPerMillionRequests} per million ` +
        `requests; DynamoDB on-demand ${PRICES.dynamoPerMillionWriteUnits} per million write and ${PRICES.dynamoPerMillionReadUnits} per million read units; ` +
        `SQS ${PRICES.sqsPerMillionRequests} per million requests; EventBridge ${PRICES.eventBridgePerMillionCustomEvents} per million custom events ` +
        `(us-east-1 public prices). Per notification: ${1 / PER_NOTIFICATION.batchSize} send-notification and ${PER_NOTIFICATION.feedbackInvocations} feedback ` +
        `invocations, ${PER_NOTIFICATION.dynamoWrites} DynamoDB writes and ${PER_NOTIFICATION.dynamoReads} reads, ${PER_NOTIFICATION.sqsRequests} SQS requests, ` +
        `${PER_NOTIFICATION.customEvents} custom events. Feedback's compute is not measured (its requests are counted).`,
      "",
      `Deployed: ${deployed.default} MB, send-notification ${deployed.sendNotification} MB. Cheapest per notification in this run: ` +
        `${cheapest.memoryMb} MB (${usd(cheapest.perMillion.total)} per million).`,
    );
  }
  return lines.join("\n");
}

function smtpSection(r: BenchResults): string {
  const s = r.smtp;
  if (!s) return "";
  return [
    "## SMTP throughput",
    "",
    `\`herald send --events\` (${s.messages} messages of ${kb(s.messageBytes)}, ${s.runs} rounds, ${loadText(r.loads.smtp)}) to a ` +
      `loopback sink, against anchor (d) a bare nodemailer pool and anchor (e) the raw pipelining client ` +
      `(bench/raw-smtp-client.ts), each over ${s.connections} connections with the same rendered bytes` +
      (s.composeSeconds && s.composeMessageBytes !== undefined
        ? `, and anchor (d') the same pool composing each message from the event's fields as a hand-written script ` +
          `would (bench/nodemailer-compose-client.ts: the HTML as given, a text part only when the event has one, the list headers; ` +
          `${kb(s.composeMessageBytes)} per message).`
        : "."),
    "",
    table(
      ["sender", "time", "rate", "CPU per message"],
      [
        [
          "herald send",
          `${formatSummary(s.heraldSeconds, 2)} s`,
          `${s.heraldRate.toFixed(0)} msg/s`,
          ms(s.heraldCpuMsPerMessage, 2),
        ],
        [
          "(d) nodemailer pool",
          `${formatSummary(s.poolSeconds, 2)} s`,
          `${s.poolRate.toFixed(0)} msg/s`,
          ms(s.poolCpuMsPerMessage, 2),
        ],
        ...(s.composeSeconds && s.composeRate !== undefined && s.composeCpuMsPerMessage
          ? [
              [
                "(d') nodemailer pool composing each message",
                `${formatSummary(s.composeSeconds, 2)} s`,
                `${s.composeRate.toFixed(0)} msg/s`,
                ms(s.composeCpuMsPerMessage, 2),
              ],
            ]
          : []),
        [
          "(e) raw pipelining",
          `${formatSummary(s.rawSeconds, 2)} s`,
          `${s.rawRate.toFixed(0)} msg/s`,
          ms(s.rawCpuMsPerMessage, 2),
        ],
      ],
    ),
    "",
    `herald send / (d): **${s.poolRatio.toFixed(2)}x** (budget >= ${THROUGHPUT_BUDGET}x: ${holdsText(s.poolRatio >= THROUGHPUT_BUDGET)}); ` +
      (s.composeRatio !== undefined ? `/ (d'): ${s.composeRatio.toFixed(2)}x; ` : "") +
      `/ (e): ${s.ratio.toFixed(2)}x.`,
  ].join("\n");
}

function sesSection(r: BenchResults): string {
  const s = r.ses;
  if (!s) return "";
  const unsubscribeHeader = NOTIFICATION_LIMITS.unsubscribeUrlChars + 2;
  const simpleCheaper = s.simpleCpuMsPerMessage.median < s.composedCpuMsPerMessage.median;
  const simpleKeepsHeaders =
    s.simpleMissingHeaders.length === 0 && unsubscribeHeader <= SIMPLE_HEADER_VALUE_CHARS;
  return [
    "## SES API path",
    "",
    `The send-notification handler (HERALD_TRANSPORT=ses-api) against anchor (c), bare SDK SendEmail with the same ` +
      `requests, both against aws-ses-v2-local, ${s.messages} messages in batches of ${s.batchSize}, ${s.runs} rotated rounds ` +
      `(${loadText(r.loads.ses)}). CPU per message: handler ${ms(s.heraldCpuMsPerMessage, 2)}, (c) ${ms(s.directCpuMsPerMessage, 2)}: ` +
      `**${s.cpuRatio.toFixed(2)}x** (budget <= ${SES_BUDGET}x: ${holdsText(s.cpuRatio <= SES_BUDGET)}). Wall: ` +
      `${formatSummary(s.heraldSeconds, 2)} s against ${formatSummary(s.directSeconds, 2)} s.`,
    "",
    `Raw MIME rendered by Herald (composeMessage, then Raw content) against SES v2 Simple content with Headers, from ` +
      `the same parts: ${ms(s.composedCpuMsPerMessage, 2)} against ${ms(s.simpleCpuMsPerMessage, 2)} of CPU per message ` +
      `(Simple is ${simpleCheaper ? "cheaper" : "not cheaper"}). Promised headers (${PROMISED_HEADERS.join(", ")}) ` +
      `missing from what the emulator stored for Simple: ${s.simpleMissingHeaders.join(", ") || "none"}. ` +
      `SES v2 limits a Simple header value to ${SIMPLE_HEADER_VALUE_CHARS} printable ASCII characters; the event schema ` +
      `admits an unsubscribeUrl of ${NOTIFICATION_LIMITS.unsubscribeUrlChars} characters, a List-Unsubscribe value of ` +
      `${unsubscribeHeader}. ${
        simpleCheaper && simpleKeepsHeaders
          ? "Simple content is cheaper and keeps every promised header."
          : simpleCheaper
            ? "Simple content is cheaper but cannot carry every header the schema admits."
            : "Simple content is not cheaper."
      } The handler sends Simple content where every header fits SES's rules and Raw otherwise ` +
      `(sesContentFor, src/mail/ses-content.ts); promised headers missing from what the emulator stored for the ` +
      `handler's messages: ${
        s.heraldMissingHeaders === undefined
          ? "not known (the handler sent Raw content, whose headers the emulator does not keep)"
          : s.heraldMissingHeaders.join(", ") || "none"
      }.`,
  ].join("\n");
}

function memorySection(r: BenchResults): string {
  const m = r.memory;
  if (!m) return "";
  return [
    "## Peak RSS",
    "",
    `The send-notification bundle (${kb(m.bundleBytes)} at cold start) in a plain worker, ${m.events} events in SQS batches of ` +
      `${m.batchSize} one after another, idempotency in dynalite, mail to the SMTP sink, ${m.runs} run(s) (${loadText(r.loads.memory)}). ` +
      `Bare worker: ${mb(m.baselineRssBytes.median)}.`,
    "",
    table(
      ["V8 heap", "after import", "peak RSS", "live heap at the end"],
      m.variants.map((v) => [
        `${v.name}${v.flags.length ? ` (\`${v.flags.join(" ")}\`)` : ""}`,
        mb(v.afterImportRssBytes.median),
        `**${mb(v.peakRssBytes.median)}** (${mb(v.peakRssBytes.min)}-${mb(v.peakRssBytes.max)})`,
        mb(v.liveHeapBytes.median),
      ]),
    ),
  ].join("\n");
}

function bundlesSection(r: BenchResults): string {
  if (!r.bundles) return "";
  return [
    "## Bundles",
    "",
    "What a cold start loads (the entry and the chunks it imports statically) and what loads on first use " +
      "(bench/bundle-guard.ts checks the first against bench/bundle-sizes.json, and that no cold start loads " +
      "nodemailer, html-to-text or sanitize-html):",
    "",
    table(
      ["function", "at cold start", "on first use", "committed"],
      r.bundles.map((b) => [b.name, kb(b.bytes), kb(b.lazyBytes), b.committed ? kb(b.committed) : "none"]),
    ),
  ].join("\n");
}

function failFastSection(r: BenchResults): string {
  const f = r.failFast;
  if (!f) return "";
  return [
    "## Fail-fast",
    "",
    `\`herald test-send\` with SMTPServerTimeout ${f.timeoutSeconds} s against stalling loopback servers, ${f.runs} round(s) ` +
      `(${loadText(r.loads["fail-fast"])}); start-up (a closed port): ${ms(f.startupMs)}.`,
    "",
    table(
      ["server", "stopped at", "exit", "minus start-up"],
      f.cases.map((c) => [
        c.name,
        `${c.stage} ${c.code}`,
        ms(c.exitMs),
        `+${c.afterStartupMs.toFixed(0)} ms`,
      ]),
    ),
  ].join("\n");
}

function failingSection(rows: Budget[], r: BenchResults): string {
  const failing = rows.filter((b) => !b.holds);
  if (failing.length === 0) return "## Budgets that do not hold\n\nNone in this run.";
  const tried: string[] = [];
  if (r.anchors)
    tried.push(
      "cold import: lazy chunks for nodemailer, html-to-text, sanitize-html and the SMTP session; no source-map flag; " +
        "names kept without maps (rows `names kept, no maps` above)",
    );
  if (r.ses)
    tried.push(
      `SES API path: Simple content where every header fits, Raw otherwise (bare SDK: ${r.ses.simpleCpuMsPerMessage.median.toFixed(2)} against ` +
        `${r.ses.composedCpuMsPerMessage.median.toFixed(2)} ms per message, above), built into the handler`,
    );
  if (r.shares?.sizes) tried.push("memory sizes 128-1024 MB (above)");
  return [
    "## Budgets that do not hold",
    "",
    ...failing.map(
      (b) => `- ${b.name}: ${b.measured} against ${b.anchor} = ${b.result}, budget ${b.budget}.`,
    ),
    "",
    "Measured in this run as alternatives: " + tried.join("; ") + ".",
  ].join("\n");
}

interface Experiment {
  date: string;
  budget: string;
  tried: string;
  measured: string;
  kept: boolean;
}

/**
 * What was tried against each budget that does not hold, with the figures of its day
 * (bench/experiments.json: a dated record, appended to, never rewritten).
 */
function experimentsSection(rows: Budget[]): string {
  const failing = rows.filter((b) => !b.holds).map((b) => b.name);
  const { experiments } = JSON.parse(readFileSync(join(PROJECT_ROOT, "bench/experiments.json"), "utf8")) as {
    experiments: Experiment[];
  };
  // only the experiments about a budget that fails in this run
  const relevant = experiments.filter((e) => failing.some((name) => name.startsWith(e.budget)));
  if (relevant.length === 0) return "";
  return [
    "## What was tried against the budgets that do not hold",
    "",
    "From bench/experiments.json, with the figures measured when each was tried (not in this run).",
    "",
    table(
      ["date", "budget", "tried", "measured then", "kept"],
      relevant.map((e) => [e.date, e.budget, e.tried, e.measured, e.kept ? "yes" : "no"]),
    ),
  ].join("\n");
}

export function markdown(r: BenchResults): string {
  const rows = budgets(r);
  const cpus = os.cpus();
  return [
    "# Herald benchmarks",
    "",
    `Written by \`npm run bench\` (bench/run.ts) from one run: ${r.startedAt.toISOString()} to ${r.finishedAt.toISOString()}` +
      `${r.quick ? " (**quick mode**: small sizes, not figures of record)" : ""}. ${cpus[0]?.model ?? "CPU"}, ${cpus.length} cores, ` +
      `Node ${process.version}; load average ${r.loads.run?.[0].toFixed(1)} at the start, ${r.loads.run?.[1].toFixed(1)} at the end ` +
      `(${cpus.length} cores shared with other work: absolute times are inflated; each ratio compares sides measured ` +
      "alternately under the same load). Medians, ranges (min-max) in parentheses.",
    "",
    "## Budgets",
    "",
    table(
      ["budget", "measured", "anchor (same run)", "result", "budget", "holds"],
      rows.map((b) => [
        b.name,
        b.measured,
        b.anchor,
        b.note ? `${b.result} (${b.note})` : b.result,
        b.budget,
        holdsText(b.holds),
      ]),
    ),
    "",
    failingSection(rows, r),
    "",
    experimentsSection(rows),
    "",
    r.anchors ? `## Cold import against anchors\n\n${coldAnchorsMarkdown(r.anchors)}` : "",
    "",
    sourceMapsSection(r),
    "",
    sharesSection(r),
    "",
    sesSection(r),
    "",
    smtpSection(r),
    "",
    memorySection(r),
    "",
    bundlesSection(r),
    "",
    failFastSection(r),
    "",
  ]
    .join("\n")
    .replace(/\n{3,}/g, "\n\n");
}
