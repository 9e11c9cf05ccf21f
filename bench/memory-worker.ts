/**
 * The memory benchmark's process (forked by memory.ts with the deployed function's
 * environment): imports the production bundle of send-notification and invokes its handler
 * with SQS batches one after another, as one Lambda instance would; reports its peak RSS over
 * IPC. With no bundle it reports the peak RSS of this process alone (the baseline).
 */
import { pathToFileURL } from "node:url";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { batches, lambdaContext, sqsBatch } from "./lambda-context.ts";
import { notificationEvents } from "./events.ts";

export interface MemoryWorkerResult {
  /** process.resourceUsage().maxRSS, in bytes */
  peakRssBytes: number;
  /** RSS right after importing the bundle (before the first invocation) */
  afterImportRssBytes: number;
  invocations: number;
  failures: number;
}

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

async function main(
  bundle: string | undefined,
  events: number,
  batchSize: number,
): Promise<MemoryWorkerResult> {
  if (!bundle) {
    const rss = process.resourceUsage().maxRSS * 1024;
    return { peakRssBytes: rss, afterImportRssBytes: process.memoryUsage.rss(), invocations: 0, failures: 0 };
  }
  const { handler } = (await import(pathToFileURL(bundle).href)) as { handler: Handler };
  const afterImportRssBytes = process.memoryUsage.rss();
  let invocations = 0;
  let failures = 0;
  for (const batch of batches(notificationEvents(events), batchSize)) {
    const response = await handler(sqsBatch(batch), lambdaContext("herald-send-notification"));
    invocations += 1;
    failures += response.batchItemFailures.length;
  }
  return { peakRssBytes: process.resourceUsage().maxRSS * 1024, afterImportRssBytes, invocations, failures };
}

if (process.send) {
  const [bundle, events, batchSize] = process.argv.slice(2);
  const result = await main(bundle || undefined, Number(events ?? 0), Number(batchSize ?? 10));
  process.send(result, () => process.exit(0));
}
