/**
 * One side of the SES API benchmark, in its own process (forked by ses-path.ts, which sets
 * the environment the deployed handler reads):
 *
 * - "herald": the deployed send-notification handler (lambdas/send-notification.ts, built
 *   from this process's environment with HERALD_TRANSPORT=ses-api), invoked with SQS batches
 *   one after another as Lambda does;
 * - "direct": the same SendEmail requests (the same raw bytes, recipients and tags) made with
 *   the SDK directly, in batches of the same size with the same number in flight;
 * - "composed" and "simple": the two ways to hand SES a message, from the same parts (subject,
 *   text, HTML, headers): Herald's composeMessage (MailComposer) then Raw content, or SES v2
 *   Simple content with Headers, where SES builds the MIME.
 *
 * Both warm up on one batch, then time the rest; the result goes back over IPC.
 */
import { readFileSync } from "node:fs";
import { SendEmailCommand, SESv2Client } from "@aws-sdk/client-sesv2";
import { DEFAULT_SEND_CONCURRENCY } from "../src/notifications/process.ts";
import { batches, lambdaContext, sqsBatch } from "./lambda-context.ts";

export interface SesWorkerInput {
  mode: "herald" | "direct" | "composed" | "simple";
  /** the warm-up batch's events, then the timed ones */
  warmup: Array<Record<string, unknown>>;
  events: Array<Record<string, unknown>>;
  /** the same, rendered (for "direct") */
  warmupMessages: SesMessage[];
  messages: SesMessage[];
  /** the same, as parts (for "composed" and "simple") */
  warmupContents?: SesContent[];
  contents?: SesContent[];
  batchSize: number;
}

/** A notification's parts, before any MIME is built. */
export interface SesContent {
  from: string;
  fromName: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  tags: Record<string, string>;
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

/**
 * With HERALD_BENCH_QUOTA_HANDSHAKE=1, the parent moves this process under a CPU quota after
 * its warm-up (loading the TypeScript sources is not what a quota benchmark measures): say
 * ready, then wait for the go.
 */
async function quotaHandshake(): Promise<void> {
  if (process.env.HERALD_BENCH_QUOTA_HANDSHAKE !== "1" || !process.send) return;
  const go = new Promise<void>((resolve) => process.once("message", () => resolve()));
  process.send({ ready: true });
  await go;
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
  await quotaHandshake();
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

const emailTags = (tags: Record<string, string> | undefined) =>
  tags ? { EmailTags: Object.entries(tags).map(([Name, Value]) => ({ Name, Value })) } : {};

function rawCommand(message: SesMessage): SendEmailCommand {
  return new SendEmailCommand({
    FromEmailAddress: message.from,
    Destination: { ToAddresses: message.to },
    Content: { Raw: { Data: Buffer.from(message.raw) } },
    ...emailTags(message.tags),
  });
}

/** SES v2 Simple content: SES builds the MIME from the parts and adds the headers. */
function simpleCommand(content: SesContent): SendEmailCommand {
  return new SendEmailCommand({
    FromEmailAddress: `"${content.fromName}" <${content.from}>`,
    Destination: { ToAddresses: content.to },
    Content: {
      Simple: {
        Subject: { Data: content.subject, Charset: "UTF-8" },
        Body: {
          Text: { Data: content.text, Charset: "UTF-8" },
          Html: { Data: content.html, Charset: "UTF-8" },
        },
        Headers: Object.entries(content.headers).map(([Name, Value]) => ({ Name, Value })),
      },
    },
    ...emailTags(content.tags),
  });
}

/** Herald's rendering (composeMessage, MailComposer) of the parts, sent as Raw content. */
async function composedCommand(content: SesContent): Promise<SendEmailCommand> {
  const { composeMessage } = await import("../src/mail/compose.ts");
  const { defaultSettings } = await import("../src/settings/load.ts");
  const settings = defaultSettings();
  settings.EmailSettings.FeedbackName = content.fromName;
  settings.EmailSettings.FeedbackEmail = content.from;
  const message = await composeMessage(settings, {
    to: content.to,
    subject: content.subject,
    text: content.text,
    html: content.html,
    headers: content.headers,
    tags: content.tags,
  });
  return rawCommand({ from: message.from, to: message.to, raw: message.raw.toString(), tags: content.tags });
}

async function runDirect(input: SesWorkerInput): Promise<SesWorkerResult> {
  if (input.mode === "composed" || input.mode === "simple") {
    const build = input.mode === "simple" ? async (c: SesContent) => simpleCommand(c) : composedCommand;
    return sendAll(input, input.warmupContents ?? [], input.contents ?? [], async (content) =>
      build(content),
    );
  }
  return sendAll(input, input.warmupMessages, input.messages, async (message) => rawCommand(message));
}

async function sendAll<T>(
  input: SesWorkerInput,
  warmup: T[],
  timed: T[],
  command: (item: T) => Promise<SendEmailCommand>,
): Promise<SesWorkerResult> {
  const client = directClient();
  let failed = 0;
  const sendOne = async (message: T) => {
    try {
      await client.send(await command(message));
    } catch {
      failed += 1;
    }
  };
  const send = async (messages: T[]) => {
    for (const batch of batches(messages, input.batchSize)) {
      // the handler's gate: at most DEFAULT_SEND_CONCURRENCY sends of a batch in flight
      const queue = [...batch];
      const lanes = Array.from({ length: Math.min(DEFAULT_SEND_CONCURRENCY, queue.length) }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await sendOne(next);
      });
      await Promise.all(lanes);
    }
  };
  await send(warmup);
  failed = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await send(timed);
  const seconds = (performance.now() - started) / 1000;
  const cpuMs = cpuMsSince(cpu);
  client.destroy();
  return { seconds, cpuMs, sent: timed.length - failed, failed };
}

if (process.argv[2] && process.send) {
  const input = JSON.parse(readFileSync(process.argv[2], "utf8")) as SesWorkerInput;
  const result = input.mode === "herald" ? await runHerald(input) : await runDirect(input);
  process.send(result, () => process.exit(0));
}
