/**
 * The memory benchmark's process (forked by memory.ts with the deployed function's
 * environment): imports the production bundle of send-notification and invokes its handler
 * with SQS batches one after another, as one Lambda instance would; reports its peak RSS over
 * IPC. With no bundle it reports the peak RSS of this process alone (the baseline).
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { batches, lambdaContext, sqsBatch } from "./lambda-context.ts";
import { notificationEvents } from "./events.ts";

export interface MemoryWorkerResult {
  /**
   * Peak RSS of this process, in bytes: VmHWM from /proc (getrusage's maxRSS would also count
   * the parent's RSS, which Linux carries over into a forked child across exec).
   */
  peakRssBytes: number;
  /** RSS right after importing the bundle (before the first invocation) */
  afterImportRssBytes: number;
  /** at the end: anonymous memory (heap, malloc) and file-backed pages (the node binary, mostly) */
  endAnonBytes: number;
  endFileBytes: number;
  /** the JavaScript heap still in use after a full collection at the end (needs --expose-gc) */
  liveHeapBytes: number;
  invocations: number;
  failures: number;
}

/** A field of /proc/self/status in bytes (0 where there is no /proc). */
function procStatus(field: string): number {
  try {
    const status = readFileSync("/proc/self/status", "utf8");
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return Number(match?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

function endOfRun(): Pick<
  MemoryWorkerResult,
  "peakRssBytes" | "endAnonBytes" | "endFileBytes" | "liveHeapBytes"
> {
  const peakRssBytes = procStatus("VmHWM") || process.resourceUsage().maxRSS * 1024;
  (globalThis as { gc?: () => void }).gc?.();
  return {
    peakRssBytes,
    endAnonBytes: procStatus("RssAnon"),
    endFileBytes: procStatus("RssFile"),
    liveHeapBytes: process.memoryUsage().heapUsed,
  };
}

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

async function main(
  bundle: string | undefined,
  events: number,
  batchSize: number,
): Promise<MemoryWorkerResult> {
  if (!bundle)
    return { ...endOfRun(), afterImportRssBytes: process.memoryUsage.rss(), invocations: 0, failures: 0 };
  const { handler } = (await import(pathToFileURL(bundle).href)) as { handler: Handler };
  const afterImportRssBytes = process.memoryUsage.rss();
  let invocations = 0;
  let failures = 0;
  for (const batch of batches(notificationEvents(events), batchSize)) {
    const response = await handler(sqsBatch(batch), lambdaContext("herald-send-notification"));
    invocations += 1;
    failures += response.batchItemFailures.length;
  }
  return { ...endOfRun(), afterImportRssBytes, invocations, failures };
}

if (process.send) {
  const [bundle, events, batchSize] = process.argv.slice(2);
  const result = await main(bundle || undefined, Number(events ?? 0), Number(batchSize ?? 10));
  process.send(result, () => process.exit(0));
}
