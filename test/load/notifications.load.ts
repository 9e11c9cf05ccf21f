// Load test of the notification path (`npm run test:load`; not part of `npm test`).
//
// 10,000 notification events go through the send-notification handler in SQS-sized
// batches (10), taken by 4 concurrent "containers" (each its own runtime, SMTP pool and
// rate limiter) sharing one idempotency table (dynalite). The SMTP server (smtp-server)
// refuses 5% of RCPTs with 451 and 1% with 550, and 1% of messages with 451 at the end of
// DATA; 2% of the events are delivered twice (some of them twice in one batch). Records in
// batchItemFailures are re-driven after a (shortened) visibility timeout, up to the stack's
// MAX_RECEIVE_COUNT receives, then moved on as SQS's redrive policy would. Dead letters go to
// a mocked SQS client (no local SQS). Fault scenarios are `npm run test:faults`.
//
// Counts per (event, recipient). Prints one line: events, unique, recipients, delivered,
// duplicates sent, dead-lettered, lost. Passes (exit 0) when no recipient got an event twice
// and no recipient was lost (neither delivered nor dead-lettered).
import { randomUUID } from "node:crypto";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { createSendNotificationHandler } from "../../lambdas/send-notification.ts";
import { MAX_RECEIVE_COUNT } from "../../src/constants.ts";
import { sqsRecord } from "../../src/notifications/batch.ts";
import { ALL_AWS_CLIENTS } from "../../src/aws-clients.ts";
import { createRuntime, type Runtime } from "../../src/runtime.ts";
import { startDynalite } from "../../sandbox/servers/dynalite.ts";
import { startSmtpServer } from "../../sandbox/servers/smtp.ts";
import { DLQ_URL, lambdaContext, smtpEnv } from "../lambdas/send-notification.fixtures.ts";
import { seededRandom } from "../helpers/seeded-random.ts";

const EVENTS = Number(process.env.LOAD_EVENTS ?? 10_000);
const BATCH_SIZE = 10;
const CONTAINERS = 4;
const DUPLICATE_SHARE = 0.02;
const TEMPORARY_SHARE = 0.05;
const PERMANENT_SHARE = 0.01;
const DATA_TEMPORARY_SHARE = 0.01;
/** SQS's redrive policy moves a record on after this many receives (the stack's) */
const MAX_RECEIVES = MAX_RECEIVE_COUNT;
/** the visibility timeout, shortened: a failed record comes back after this */
const REDELIVERY_DELAY_MS = 50;

/** mulberry32: a seeded generator, so a failing run can be repeated. */

const seed = Number(process.env.LOAD_SEED ?? Date.now() % 100_000);
const rand = seededRandom(seed);
// Powertools reads these itself: no EMF lines on this script's output.
process.env.POWERTOOLS_METRICS_DISABLED = "true";
process.env.AWS_ACCESS_KEY_ID ??= "test";
process.env.AWS_SECRET_ACCESS_KEY ??= "test";
process.env.AWS_REGION ??= "us-east-1";

interface Queued {
  record: SQSRecord;
  receives: number;
}

async function main(): Promise<number> {
  const smtp = await startSmtpServer({
    starttls: false,
    recipientReply: () => {
      const r = rand();
      if (r < TEMPORARY_SHARE) return { code: 451, message: "4.3.0 Temporary failure, try again later" };
      if (r < TEMPORARY_SHARE + PERMANENT_SHARE) return { code: 550, message: "5.1.1 User unknown" };
      return undefined;
    },
    dataReply: () =>
      rand() < DATA_TEMPORARY_SHARE ? { code: 451, message: "4.3.0 Queue busy, try again later" } : undefined,
  });
  const dynamo = await startDynalite();
  const sqs = mockClient(SQSClient);
  const deadLetters: Array<{ body: string; recipients?: string[] }> = [];
  sqs
    .on(SendMessageCommand)
    .callsFake(
      (input: { MessageBody?: string; MessageAttributes?: Record<string, { StringValue?: string }> }) => {
        const recipients = input.MessageAttributes?.Recipients?.StringValue?.split(", ");
        deadLetters.push({ body: input.MessageBody ?? "", ...(recipients ? { recipients } : {}) });
        return { MessageId: randomUUID() };
      },
    );
  const runtimes: Runtime[] = [];
  const started = Date.now();
  try {
    const table = await dynamo.createTable();
    // the events: one recipient each, a tenth of them two (partial refusals happen)
    const unique = Array.from({ length: EVENTS }, (_, i) => ({
      id: `load-${i}`,
      to: i % 10 === 0 ? [`user${i}@example.com`, `other${i}@example.com`] : [`user${i}@example.com`],
      subject: `Load notification ${i}`,
      text: `Notification number ${i}.`,
    }));
    const stream: string[] = unique.map((event) => JSON.stringify(event));
    const duplicates = Math.round(EVENTS * DUPLICATE_SHARE);
    for (let n = 0; n < duplicates; n++) {
      const index = Math.floor(rand() * EVENTS);
      const body = JSON.stringify(unique[index]);
      // a quarter right behind the original (same batch), the rest anywhere after it
      const at =
        n % 4 === 0
          ? stream.indexOf(body) + 1
          : stream.indexOf(body) + 1 + Math.floor(rand() * (stream.length - stream.indexOf(body)));
      stream.splice(at, 0, body);
    }
    const queue: Queued[] = stream.map((body) => ({ record: sqsRecord(body, randomUUID()), receives: 0 }));
    const stuck: Queued[] = [];
    let inFlight = 0;
    let pendingRedeliveries = 0;

    const container = async () => {
      const runtime = createRuntime({
        clients: ALL_AWS_CLIENTS,
        serviceName: "herald-load",
        env: {
          ...smtpEnv(smtp.port),
          ...dynamo.env(table),
          HERALD_DEAD_LETTER_QUEUE_URL: DLQ_URL,
          HERALD_MAX_SEND_RATE: "5000",
        },
      });
      runtimes.push(runtime);
      const handler = createSendNotificationHandler(runtime);
      for (;;) {
        const batch = queue.splice(0, BATCH_SIZE);
        if (batch.length === 0) {
          if (inFlight === 0 && pendingRedeliveries === 0) return;
          await new Promise((resolve) => setTimeout(resolve, 10));
          continue;
        }
        inFlight += 1;
        try {
          for (const item of batch) item.receives += 1;
          const event: SQSEvent = { Records: batch.map((item) => item.record) };
          const response = await handler(event, lambdaContext(120_000));
          const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
          for (const item of batch) {
            if (!failed.has(item.record.messageId)) continue;
            if (item.receives >= MAX_RECEIVES) {
              stuck.push(item);
              continue;
            }
            pendingRedeliveries += 1;
            setTimeout(() => {
              pendingRedeliveries -= 1;
              queue.push(item);
            }, REDELIVERY_DELAY_MS);
          }
        } finally {
          inFlight -= 1;
        }
      }
    };
    await Promise.all(Array.from({ length: CONTAINERS }, container));

    // what arrived: (event, recipient) pairs, by Message-ID
    const received = new Map<string, number>();
    for (const message of smtp.messages) {
      const id = /^<(.*)@chat\.example\.com>$/.exec(message.messageId ?? "")?.[1] ?? "?";
      for (const to of message.to) received.set(`${id} ${to}`, (received.get(`${id} ${to}`) ?? 0) + 1);
    }
    let duplicatesSent = 0;
    for (const count of received.values()) duplicatesSent += count - 1;
    // dead-lettered with a reason (for the recipients it names, else all), or moved on by the redrive
    const deadLettered = new Set<string>();
    const letters = [
      ...deadLetters,
      ...stuck.map((item) => ({ body: item.record.body, recipients: undefined })),
    ];
    for (const letter of letters) {
      const event = JSON.parse(letter.body) as { id: string; to: string[] };
      for (const to of letter.recipients ?? event.to) deadLettered.add(`${event.id} ${to}`);
    }
    let recipients = 0;
    let lost = 0;
    for (const event of unique) {
      for (const to of event.to) {
        recipients += 1;
        const pair = `${event.id} ${to}`;
        if (!received.has(pair) && !deadLettered.has(pair)) lost += 1;
      }
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `events ${stream.length}, unique ${EVENTS}, recipients ${recipients}, delivered ${received.size}, ` +
        `duplicates sent ${duplicatesSent}, dead-lettered ${deadLettered.size}, lost ${lost} ` +
        `(seed ${seed}, ${stuck.length} moved on by the redrive, ${seconds} s)`,
    );
    return duplicatesSent === 0 && lost === 0 ? 0 : 1;
  } finally {
    await Promise.all(runtimes.map((runtime) => runtime.close()));
    sqs.restore();
    await smtp.close();
    await dynamo.close();
  }
}

process.exitCode = await main();
