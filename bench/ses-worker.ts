/**
 * One side of the SES API benchmark, in its own process (forked by ses-path.ts, which sets
 * the environment the deployed handler reads):
 *
 * - "herald": the deployed send-notification handler (lambdas/send-notification.ts, built
 *   from this process's environment with HERALD_TRANSPORT=ses-api), invoked with SQS batches
 *   one after another as Lambda does;
 * - "direct": the same SendEmail requests (the same raw bytes, recipients and tags) made with
 *   the SDK directly, in batches of the same size with the same number in flight.
 *
 * Both warm up on one batch, then time the rest; the result goes back over IPC.
 */
import { readFileSync } from "node:fs";
import { SendEmailCommand, SESv2Client } from "@aws-sdk/client-sesv2";
import { DEFAULT_SEND_CONCURRENCY } from "../src/notifications/process.ts";
import { batches, lambdaContext, sqsBatch } from "./lambda-context.ts";

export interface SesWorkerInput {
  mode: "herald" | "direct";
  /** the warm-up batch's events, then the timed ones */
  warmup: Array<Record<string, unknown>>;
  events: Array<Record<string, unknown>>;
  /** the same, rendered (for "direct") */
  warmupMessages: SesMessage[];
  messages: SesMessage[];
  batchSize: number;
}

export interface SesMessage {
  from: string;
  to: string[];
  raw: string;
  tags?: Record<string, string>;
}

export interface SesWorkerResult {
  seconds: number;
  /** CPU time of this process over the timed part (user + system), in ms */
  cpuMs: number;
  sent: number;
  failed: number;
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

async function runHerald(input: SesWorkerInput): Promise<SesWorkerResult> {
  const { handler } = await import("../lambdas/send-notification.ts");
  let failed = 0;
  const invoke = async (events: Array<Record<string, unknown>>) => {
    for (const batch of batches(events, input.batchSize)) {
      const response = await handler(sqsBatch(batch), lambdaContext("herald-send-notification"));
      failed += response.batchItemFailures.length;
    }
  };
  await invoke(input.warmup);
  failed = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await invoke(input.events);
  const seconds = (performance.now() - started) / 1000;
  return { seconds, cpuMs: cpuMsSince(cpu), sent: input.events.length - failed, failed };
}

/** The SDK client as the runtime configures it (src/runtime.ts): endpoint, keys, bounded timeouts. */
function directClient(): SESv2Client {
  return new SESv2Client({
    region: process.env.AWS_REGION ?? "eu-west-1",
    endpoint: process.env.AWS_ENDPOINT_URL_SESV2 ?? "",
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "",
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "",
    },
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
  });
}

async function runDirect(input: SesWorkerInput): Promise<SesWorkerResult> {
  const client = directClient();
  let failed = 0;
  const sendOne = async (message: SesMessage) => {
    try {
      await client.send(
        new SendEmailCommand({
          FromEmailAddress: message.from,
          Destination: { ToAddresses: message.to },
          Content: { Raw: { Data: Buffer.from(message.raw) } },
          ...(message.tags
            ? { EmailTags: Object.entries(message.tags).map(([Name, Value]) => ({ Name, Value })) }
            : {}),
        }),
      );
    } catch {
      failed += 1;
    }
  };
  const send = async (messages: SesMessage[]) => {
    for (const batch of batches(messages, input.batchSize)) {
      // the handler's gate: at most DEFAULT_SEND_CONCURRENCY sends of a batch in flight
      const queue = [...batch];
      const lanes = Array.from({ length: Math.min(DEFAULT_SEND_CONCURRENCY, queue.length) }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await sendOne(next);
      });
      await Promise.all(lanes);
    }
  };
  await send(input.warmupMessages);
  failed = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await send(input.messages);
  const seconds = (performance.now() - started) / 1000;
  const cpuMs = cpuMsSince(cpu);
  client.destroy();
  return { seconds, cpuMs, sent: input.messages.length - failed, failed };
}

if (process.argv[2] && process.send) {
  const input = JSON.parse(readFileSync(process.argv[2], "utf8")) as SesWorkerInput;
  const result = input.mode === "herald" ? await runHerald(input) : await runDirect(input);
  process.send(result, () => process.exit(0));
}
