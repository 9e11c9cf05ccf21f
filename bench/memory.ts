/**
 * Memory: peak RSS of the send-notification handler (its production bundle, as deployed: JSON
 * logs, stacks mapped lazily) processing events in batches of 10, one invocation after another as one
 * instance would, with idempotency records in DynamoDB (dynalite) and the mail going to the
 * SMTP sink. Side by side: the same process without the handler.
 */
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { startDynalite } from "../sandbox/servers/dynalite.ts";
import { buildLambda } from "./bundles.ts";
import type { MemoryWorkerResult } from "./memory-worker.ts";
import { startSink } from "./smtp-sink.ts";
import { summarize, type Summary } from "./stats.ts";
import { childPath, smtpSettingsEnv, UNLIMITED_SEND_RATE } from "./events.ts";

export const MEMORY_BUDGET_BYTES = 100 * 1024 * 1024;
/** The variant the budget applies to: a heap sized as V8 would size it for 128 MB. */
export const MEMORY_BUDGET_VARIANT = "heap limited for 128 MB";
export const MEMORY_BATCH_SIZE = 10;

/**
 * How V8 sizes its heap. Node gives V8 the machine's memory (or its cgroup limit) and V8 sizes
 * the heap from it: here gigabytes, so it lets garbage pile up before collecting. On a machine
 * with 128 MB, V8 picks roughly a quarter of it for the old space and a semi-space of about 1 MB.
 */
export const HEAP_VARIANTS = [
  { name: "V8 defaults on this machine", flags: [] as string[] },
  {
    name: "heap limited for 128 MB",
    flags: ["--max-old-space-size=32", "--max-semi-space-size=1"],
  },
] as const;

export interface MemoryVariant {
  name: string;
  flags: readonly string[];
  peakRssBytes: Summary;
  afterImportRssBytes: Summary;
  liveHeapBytes: Summary;
  endAnonBytes: Summary;
  endFileBytes: Summary;
}

export interface MemoryResult {
  events: number;
  runs: number;
  batchSize: number;
  /** size of the send-notification bundle measured */
  bundleBytes: number;
  variants: MemoryVariant[];
  baselineRssBytes: Summary;
}

/**
 * The worker as one plain JavaScript file: a .ts file would load Node's TypeScript stripper
 * (tens of MB of RSS that a deployed function does not have).
 */
async function buildWorker(dir: string): Promise<string> {
  const outfile = join(dir, "memory-worker.mjs");
  await build({
    entryPoints: [join(import.meta.dirname, "memory-worker.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    logLevel: "warning",
  });
  return outfile;
}

function runWorker(
  worker: string,
  args: string[],
  env: Record<string, string>,
  flags: readonly string[] = [],
): Promise<MemoryWorkerResult> {
  return new Promise((resolve, reject) => {
    const child = fork(worker, args, {
      execPath: process.execPath,
      // as deployed (no --enable-source-maps); gc() only for the live-heap figure after the peak is read
      execArgv: ["--expose-gc", ...flags],
      env,
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      timeout: 300_000,
    });
    let result: MemoryWorkerResult | undefined;
    child.once("message", (message: MemoryWorkerResult) => (result = message));
    child.once("error", reject);
    child.once("exit", (code) =>
      result ? resolve(result) : reject(new Error(`memory worker exited ${code} without a result`)),
    );
  });
}

export async function runMemory(options: {
  events: number;
  runs: number;
  log?: (line: string) => void;
}): Promise<MemoryResult> {
  const log = options.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), "herald-bench-memory-"));
  const sink = await startSink();
  const dynamo = await startDynalite();
  try {
    const bundle = await buildLambda("send-notification", dir);
    const worker = await buildWorker(dir);
    const runs = HEAP_VARIANTS.map(() => [] as MemoryWorkerResult[]);
    const baseline: number[] = [];
    for (let round = 0; round < options.runs; round++) {
      for (const [i, variant] of HEAP_VARIANTS.entries()) {
        // a fresh table per run: every event is new, none a duplicate
        const table = await dynamo.createTable();
        const env = {
          PATH: childPath(),
          ...smtpSettingsEnv(sink.port),
          ...dynamo.env(table),
          AWS_LAMBDA_FUNCTION_NAME: "herald-send-notification",
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "512",
          HERALD_TRANSPORT: "smtp",
          HERALD_MAX_SEND_RATE: UNLIMITED_SEND_RATE,
          POWERTOOLS_LOG_LEVEL: "INFO",
          POWERTOOLS_SERVICE_NAME: "herald-send-notification",
          POWERTOOLS_METRICS_NAMESPACE: "Herald",
        };
        await sink.reset();
        const result = await runWorker(
          worker,
          [bundle.file ?? "", String(options.events), String(MEMORY_BATCH_SIZE)],
          env,
          variant.flags,
        );
        const stats = await sink.stats();
        if (result.failures > 0 || stats.messages !== options.events) {
          throw new Error(
            `memory run (${variant.name}): ${result.failures} failures, the sink got ${stats.messages} of ${options.events}`,
          );
        }
        runs[i]?.push(result);
        log(
          `memory round ${round + 1}/${options.runs}, ${variant.name}: peak RSS ${(result.peakRssBytes / 2 ** 20).toFixed(1)} MB`,
        );
      }
      baseline.push((await runWorker(worker, ["", "0", "0"], { PATH: childPath() })).peakRssBytes);
    }
    const of = (results: MemoryWorkerResult[], pick: (r: MemoryWorkerResult) => number) =>
      summarize(results.map(pick));
    return {
      events: options.events,
      runs: options.runs,
      batchSize: MEMORY_BATCH_SIZE,
      bundleBytes: bundle.bytes,
      baselineRssBytes: summarize(baseline),
      variants: HEAP_VARIANTS.map((variant, i) => {
        const results = runs[i] ?? [];
        return {
          name: variant.name,
          flags: variant.flags,
          peakRssBytes: of(results, (r) => r.peakRssBytes),
          afterImportRssBytes: of(results, (r) => r.afterImportRssBytes),
          liveHeapBytes: of(results, (r) => r.liveHeapBytes),
          endAnonBytes: of(results, (r) => r.endAnonBytes),
          endFileBytes: of(results, (r) => r.endFileBytes),
        };
      }),
    };
  } finally {
    await dynamo.close();
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
