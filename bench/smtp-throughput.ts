/**
 * SMTP throughput: `herald send --events FILE` (the send-notification code path: parse,
 * idempotency claim, render, rate limit, nodemailer's pool) to a local sink, against anchor (d),
 * a bare nodemailer pool, and anchor (e), the raw pipelining client, each sending the same
 * rendered bytes to the same sink over as many connections as Herald had open at once; and
 * anchor (d'), the same pool composing each message from the event's fields (what a
 * hand-written script does). Each side runs in its own process; each reports the time from
 * its first connection to its last reply (process start-up and module loading excluded).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { cpuMsFrom } from "./cpu-at-exit.ts";
import { startSink, type Sink } from "./smtp-sink.ts";
import { summarize, type Summary } from "./stats.ts";
import { childPath, notificationEvents, smtpSettingsEnv, UNLIMITED_SEND_RATE } from "./events.ts";
import { HERALD_BIN, PROJECT_ROOT, renderedMessages, writeJson } from "./workload.ts";
import type { ComposeEvent, ComposeInput } from "./nodemailer-compose-client.ts";
import { listId } from "../src/notifications/render-notification.ts";
import { loadSettings } from "../src/settings/load.ts";

/** Budget (issue 19): `herald send`'s rate at least this multiple of anchor (d)'s. */
export const THROUGHPUT_BUDGET = 0.9;

export interface ThroughputResult {
  messages: number;
  runs: number;
  /** connections Herald had open at once (the most seen by the sink): the raw client's count */
  connections: number;
  heraldSeconds: Summary;
  rawSeconds: Summary;
  /** anchor (d): the bare nodemailer pool */
  poolSeconds: Summary;
  /** anchor (d'): the same pool composing each message from the event (absent in older runs) */
  composeSeconds?: Summary;
  /** messages per second, from the median times */
  heraldRate: number;
  rawRate: number;
  poolRate: number;
  composeRate?: number;
  /** Herald's rate / the raw client's rate, from the medians */
  ratio: number;
  /** Herald's rate / the bare pool's rate (the budget), from the medians */
  poolRatio: number;
  /** Herald's rate / (d')'s rate, from the medians (no budget: (d) holds it) */
  composeRatio?: number;
  /** the same ratio per round (each round runs both, one after the other) */
  roundRatios: Summary;
  messageBytes: number;
  /** the mean size (d') sent, as the sink counted it (its messages have no text part) */
  composeMessageBytes?: number;
  /**
   * CPU time per message (less sensitive to a busy machine than wall time): Herald's from its
   * process's CPU time less that of the same command with one event (start-up), the raw
   * client's over its timed part
   */
  heraldCpuMsPerMessage: Summary;
  rawCpuMsPerMessage: Summary;
  poolCpuMsPerMessage: Summary;
  composeCpuMsPerMessage?: Summary;
}

/** Makes `herald send` report its CPU time at exit (the command itself runs unchanged). */
const CPU_PRELOAD_ENV = {
  NODE_OPTIONS: `--import=${pathToFileURL(join(import.meta.dirname, "cpu-at-exit.ts")).href}`,
  HERALD_BENCH_CPU_AT_EXIT: "1",
};

function run(
  file: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: PROJECT_ROOT, env, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function heraldSend(
  sink: Sink,
  eventsFile: string,
  count: number,
): Promise<{ seconds: number; peak: number; cpuMs: number }> {
  await sink.reset();
  const result = await run(HERALD_BIN, ["send", "--events", eventsFile, "--json"], {
    PATH: childPath(),
    ...smtpSettingsEnv(sink.port),
    HERALD_TRANSPORT: "smtp",
    HERALD_MAX_SEND_RATE: UNLIMITED_SEND_RATE,
    ...CPU_PRELOAD_ENV,
  });
  const stats = await sink.stats();
  let summary: { sent?: number; seconds?: number };
  try {
    summary = JSON.parse(result.stdout) as typeof summary;
  } catch {
    throw new Error(`herald send exited ${result.code}: ${result.stderr.slice(0, 1000)}`);
  }
  if (result.code !== 0 || summary.sent !== count || stats.messages !== count) {
    throw new Error(
      `herald send: ${summary.sent} of ${count} sent, sink got ${stats.messages} (exit ${result.code}): ${result.stderr.slice(0, 1000)}`,
    );
  }
  return {
    seconds: summary.seconds ?? Number.NaN,
    peak: stats.peakConnections,
    cpuMs: cpuMsFrom(result.stderr) ?? Number.NaN,
  };
}

async function rawSend(
  sink: Sink,
  messagesFile: string,
  count: number,
  connections: number,
  client = "raw-smtp-client.ts",
): Promise<{ seconds: number; cpuMs: number; bytes: number }> {
  await sink.reset();
  const result = await run(
    process.execPath,
    [
      join(import.meta.dirname, client),
      "--port",
      String(sink.port),
      "--connections",
      String(connections),
      "--messages",
      messagesFile,
    ],
    { PATH: childPath() },
  );
  const stats = await sink.stats();
  if (result.code !== 0 || stats.messages !== count) {
    throw new Error(
      `${client}: sink got ${stats.messages} of ${count} (exit ${result.code}): ${result.stderr}`,
    );
  }
  const timing = JSON.parse(result.stdout) as { seconds: number; cpuMs: number };
  return { ...timing, bytes: stats.bytes };
}

/** What anchor (d') reads: each event with the sender a script would configure from these settings. */
async function composeInputs(
  events: Array<Record<string, unknown>>,
  settingsEnv: Record<string, string>,
): Promise<ComposeInput[]> {
  const { settings } = await loadSettings({ env: settingsEnv, ssm: false });
  const email = settings.EmailSettings;
  const sender = {
    from: { name: email.FeedbackName, address: email.FeedbackEmail },
    ...(email.ReplyToAddress ? { replyTo: email.ReplyToAddress } : {}),
    listIdBase: listId(settings),
  };
  return events.map((event) => ({ ...sender, event: event as unknown as ComposeEvent }));
}

export async function runSmtpThroughput(options: {
  messages: number;
  runs: number;
  log?: (line: string) => void;
}): Promise<ThroughputResult> {
  const log = options.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), "herald-bench-smtp-"));
  const sink = await startSink();
  try {
    const events = notificationEvents(options.messages);
    const eventsFile = writeJson(join(dir, "events.json"), events);
    const oneEventFile = writeJson(join(dir, "one-event.json"), events.slice(0, 1));
    const rendered = await renderedMessages(events, smtpSettingsEnv(sink.port));
    const messagesFile = writeJson(join(dir, "messages.json"), rendered);
    const messageBytes = rendered.reduce((sum, m) => sum + Buffer.byteLength(m.raw), 0) / rendered.length;
    const composeFile = writeJson(
      join(dir, "compose.json"),
      await composeInputs(events, smtpSettingsEnv(sink.port)),
    );

    const herald: number[] = [];
    const raw: number[] = [];
    const ratios: number[] = [];
    const heraldCpu: number[] = [];
    const rawCpu: number[] = [];
    const pool: number[] = [];
    const poolCpu: number[] = [];
    const compose: number[] = [];
    const composeCpu: number[] = [];
    let composeBytes = 0;
    let connections = 0;
    for (let round = 0; round < options.runs; round++) {
      const h = await heraldSend(sink, eventsFile, options.messages);
      connections = Math.max(connections, h.peak);
      // the raw client gets as many connections as Herald had open at once
      const r = await rawSend(sink, messagesFile, options.messages, h.peak);
      const p = await rawSend(sink, messagesFile, options.messages, h.peak, "nodemailer-pool-client.ts");
      pool.push(p.seconds);
      poolCpu.push(p.cpuMs / options.messages);
      const c = await rawSend(sink, composeFile, options.messages, h.peak, "nodemailer-compose-client.ts");
      compose.push(c.seconds);
      composeCpu.push(c.cpuMs / options.messages);
      composeBytes = c.bytes / options.messages;
      const startup = await heraldSend(sink, oneEventFile, 1);
      herald.push(h.seconds);
      raw.push(r.seconds);
      ratios.push(r.seconds / h.seconds);
      heraldCpu.push((h.cpuMs - startup.cpuMs) / (options.messages - 1));
      rawCpu.push(r.cpuMs / options.messages);
      log(
        `smtp round ${round + 1}/${options.runs}: herald ${h.seconds.toFixed(2)} s, pool ${p.seconds.toFixed(2)} s, composing pool ${c.seconds.toFixed(2)} s, raw ${r.seconds.toFixed(2)} s over ${h.peak} connections`,
      );
    }
    const heraldSeconds = summarize(herald);
    const rawSeconds = summarize(raw);
    const heraldRate = options.messages / heraldSeconds.median;
    const rawRate = options.messages / rawSeconds.median;
    const poolSeconds = summarize(pool);
    const poolRate = options.messages / poolSeconds.median;
    const composeSeconds = summarize(compose);
    const composeRate = options.messages / composeSeconds.median;
    return {
      messages: options.messages,
      runs: options.runs,
      connections,
      heraldSeconds,
      rawSeconds,
      poolSeconds,
      composeSeconds,
      heraldRate,
      rawRate,
      poolRate,
      composeRate,
      ratio: heraldRate / rawRate,
      poolRatio: heraldRate / poolRate,
      composeRatio: heraldRate / composeRate,
      roundRatios: summarize(ratios),
      messageBytes,
      composeMessageBytes: composeBytes,
      heraldCpuMsPerMessage: summarize(heraldCpu),
      rawCpuMsPerMessage: summarize(rawCpu),
      poolCpuMsPerMessage: summarize(poolCpu),
      composeCpuMsPerMessage: summarize(composeCpu),
    };
  } finally {
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
