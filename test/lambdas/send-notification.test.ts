import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { simpleParser } from "mailparser";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createSendNotificationHandler } from "../../lambdas/send-notification.ts";
import {
  dynamoDbPersistence,
  NOTIFICATION_KEY_PREFIX,
  notificationIdempotencyConfig,
} from "../../src/notifications/idempotency.ts";
import { ALL_AWS_CLIENTS } from "../../src/aws-clients.ts";
import { STATUS_KEY_PREFIX } from "../../src/constants.ts";
import { createRuntime, type Runtime } from "../../src/runtime.ts";
import type { RateLimiter, RateLimiterOptions } from "../../src/notifications/rate-limiter.ts";
import { captureStdout } from "../helpers/capture-stdout.ts";
import { ioUntil } from "../helpers/fake-clock.ts";
import { heldReply } from "../helpers/smtp-servers.ts";
import { startDynalite, type TestDynamo } from "../../sandbox/servers/dynalite.ts";
import {
  startSmtpServer,
  type SmtpReply,
  type SmtpServerOptions,
  type TestSmtpServer,
} from "../../sandbox/servers/smtp.ts";
import { startLocalSes, type LocalSes } from "../../sandbox/servers/ses.ts";
import { LOOPBACK, listenOnLoopback } from "../../sandbox/servers/listen.ts";
import { DLQ_URL, lambdaContext, notification, smtpEnv, sqsEvent } from "./send-notification.fixtures.ts";

// The pipeline's rate limiter runs on a clock that moves only when it waits, and says when each
// send was let through: a rate is then checked exactly, however busy the machine (the limiter's
// own arithmetic is tested in test/src/notifications/rate-limiter.test.ts).
const limiter = vi.hoisted(() => {
  let now = 1_000_000;
  const granted: Array<{ at: number; units: number }> = [];
  return { granted, now: () => now, sleep: async (ms: number) => void (now += ms) };
});
vi.mock("../../src/notifications/rate-limiter.ts", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/notifications/rate-limiter.ts")>();
  return {
    ...original,
    createRateLimiter: (options: RateLimiterOptions): RateLimiter => {
      const real = original.createRateLimiter({ ...options, now: limiter.now, sleep: limiter.sleep });
      return {
        perSecond: real.perSecond,
        async acquire(units = 1) {
          await real.acquire(units);
          limiter.granted.push({ at: limiter.now(), units });
        },
      };
    },
  };
});

const sqs = mockClient(SQSClient);
let dynamo: TestDynamo;
const runtimes: Runtime[] = [];
const servers: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  dynamo = await startDynalite();
  // A runtime uses the keys and region of the env it is given (dynalite's here); a client that
  // falls back to the SDK's default chain (the mocked SQS client) reads these from process.env.
  vi.stubEnv("AWS_ACCESS_KEY_ID", "test");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "test");
  vi.stubEnv("AWS_REGION", "us-east-1");
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await dynamo.close();
});

beforeEach(() => {
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: "dead-letter-1" });
});

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

interface Harness {
  smtp: TestSmtpServer;
  table: string;
  runtime: Runtime;
  invoke(...bodies: unknown[]): Promise<{ failures: string[]; output: string; messageIds: string[] }>;
  records(): Promise<Array<Record<string, unknown>>>;
}

async function harness(
  options: {
    rcpt?: (address: string) => SmtpReply | undefined;
    data?: () => SmtpReply | undefined;
    afterData?: SmtpServerOptions["afterData"];
    env?: Record<string, string>;
  } = {},
): Promise<Harness> {
  const smtp = await startSmtpServer({
    starttls: false,
    ...(options.rcpt ? { recipientReply: options.rcpt } : {}),
    ...(options.data ? { dataReply: options.data } : {}),
    ...(options.afterData ? { afterData: options.afterData } : {}),
  });
  servers.push(smtp);
  const table = await dynamo.createTable();
  const runtime = createRuntime({
    clients: ALL_AWS_CLIENTS,
    serviceName: "herald-send-notification-test",
    env: {
      ...smtpEnv(smtp.port),
      ...dynamo.env(table),
      HERALD_DEAD_LETTER_QUEUE_URL: DLQ_URL,
      ...options.env,
    },
  });
  runtimes.push(runtime);
  const handler = createSendNotificationHandler(runtime);
  return {
    smtp,
    table,
    runtime,
    async invoke(...bodies) {
      const event = sqsEvent(...bodies);
      const { result, output } = await captureStdout(() => handler(event, lambdaContext()));
      // record positions, in record order
      const failures = result.batchItemFailures
        .map((f) => event.Records.findIndex((r) => r.messageId === f.itemIdentifier))
        .sort((a, b) => a - b)
        .map(String);
      return { failures, output, messageIds: event.Records.map((r) => r.messageId) };
    },
    /** The idempotency records (the status records share the table, under their own prefix). */
    async records() {
      const { Items = [] } = await dynamo.client.send(
        new ScanCommand({ TableName: table, ConsistentRead: true }),
      );
      return Items.map((item) => unmarshall(item)).filter(
        (item) => !String(item.id).startsWith(STATUS_KEY_PREFIX),
      );
    },
  };
}

/** The sum of a metric over the EMF lines in the output. */
function metricTotal(output: string, name: string): number {
  let total = 0;
  for (const line of output.split("\n")) {
    if (!line.startsWith("{") || !line.includes('"_aws"')) continue;
    const value = (JSON.parse(line) as Record<string, unknown>)[name];
    if (typeof value === "number") total += value;
    if (Array.isArray(value)) total += (value as number[]).reduce((a, b) => a + b, 0);
  }
  return total;
}

function deadLetters() {
  return sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
}

describe("send-notification over SMTP (smtp-server) with idempotency in DynamoDB (dynalite)", () => {
  it("sends each record once with the notification headers, and records the provider's id", async () => {
    const h = await harness();
    const { failures } = await h.invoke(
      notification("n-1"),
      notification("n-2", { to: ["carol@example.com"] }),
    );
    expect(failures).toEqual([]);
    expect(h.smtp.messages.map((m) => m.to)).toEqual(
      expect.arrayContaining([["bob@example.com"], ["carol@example.com"]]),
    );
    const parsed = await simpleParser(
      h.smtp.messages.find((m) => m.messageId === "<n-1@chat.example.com>")!.raw,
    );
    expect(parsed.from?.text).toBe('"Example Chat" <notifications@example.com>');
    expect(parsed.headers.get("auto-submitted")).toBe("auto-generated");
    const records = await h.records();
    expect(records).toHaveLength(2);
    for (const record of records) {
      expect(record).toMatchObject({
        status: "COMPLETED",
        id: expect.stringMatching(/^notification#/),
        data: { accepted: 1, rejected: 0, providerMessageId: expect.stringMatching(/^250/) },
      });
      expect(record.expiration).toBeGreaterThan(Date.now() / 1000 + 23 * 3600);
    }
    expect(deadLetters()).toEqual([]);
  });

  it("sends a duplicate twice in one batch once, and acknowledges both", async () => {
    const h = await harness();
    const { failures } = await h.invoke(
      notification("dup-1"),
      notification("dup-1"),
      notification("other-1"),
    );
    expect(failures).toEqual([]);
    expect(h.smtp.messages.filter((m) => m.messageId === "<dup-1@chat.example.com>")).toHaveLength(1);
    expect(h.smtp.messages).toHaveLength(2);
  });

  it("skips the same id in a later batch, bare or inside an EventBridge event", async () => {
    const h = await harness();
    await h.invoke(notification("again-1"));
    const wrapped = {
      version: "0",
      "detail-type": "Notification",
      source: "app",
      detail: notification("again-1"),
    };
    const { failures, output } = await h.invoke(notification("again-1"), wrapped);
    expect(failures).toEqual([]);
    expect(h.smtp.messages).toHaveLength(1);
    expect(metricTotal(output, "Duplicate")).toBe(2);
    expect(metricTotal(output, "Sent")).toBe(0);
  });

  it("leaves a retryable failure (451) for SQS with its id released, and sends it once on redelivery", async () => {
    let refusals = 0;
    const h = await harness({
      rcpt: () => (refusals++ === 0 ? { code: 451, message: "4.3.0 Try again later" } : undefined),
    });
    const first = await h.invoke(notification("retry-1"));
    expect(first.failures).toEqual(["0"]);
    expect(h.smtp.messages).toHaveLength(0);
    expect(await h.records()).toEqual([]);
    expect(deadLetters()).toEqual([]);
    const second = await h.invoke(notification("retry-1"));
    expect(second.failures).toEqual([]);
    const third = await h.invoke(notification("retry-1"));
    expect(third.failures).toEqual([]);
    expect(h.smtp.messages).toHaveLength(1);
  });

  it("when every recipient is refused, settles the 5xx ones for good and retries only the 4xx ones", async () => {
    const tried: string[] = [];
    let laterRefusals = 0;
    const h = await harness({
      rcpt: (address) => {
        tried.push(address);
        if (address === "gone@example.com") return { code: 550, message: "5.1.1 user unknown" };
        if (address === "later@example.com" && laterRefusals++ === 0)
          return { code: 451, message: "4.3.0 Try again later" };
        return undefined;
      },
    });
    const event = notification("mixed-1", { to: ["gone@example.com", "later@example.com"] });
    const first = await h.invoke(event);
    expect(first.failures).toEqual(["0"]);
    expect(h.smtp.messages).toHaveLength(0);
    expect(metricTotal(first.output, "RejectedRecipients")).toBe(1);
    expect(metricTotal(first.output, "DeferredRecipients")).toBe(1);
    expect(deadLetters()).toEqual([]);
    const second = await h.invoke(event);
    expect(second.failures).toEqual([]);
    expect(h.smtp.messages.map((m) => m.to)).toEqual([["later@example.com"]]);
    // the 5xx recipient was asked once: settled for good, never retried
    expect(tried.filter((address) => address === "gone@example.com")).toHaveLength(1);
    expect((await h.invoke(event)).failures).toEqual([]);
    expect(h.smtp.messages).toHaveLength(1);
  });

  it.each<[string, SmtpReply]>([
    ["421 service not available", { code: 421, message: "4.3.2 Service shutting down" }],
    ["454 throttling", { code: 454, message: "4.7.0 Throttling failure: Maximum sending rate exceeded." }],
  ])("retries %s", async (_what, reply) => {
    const h = await harness({ rcpt: () => reply });
    expect((await h.invoke(notification("temp-1"))).failures).toEqual(["0"]);
    expect(deadLetters()).toEqual([]);
  });

  it("dead-letters a 5xx refusal with its reason as message attributes, and acknowledges it", async () => {
    const h = await harness({
      rcpt: () => ({ code: 550, message: "5.1.1 <bob@example.com>: user unknown" }),
    });
    const event = notification("perm-1");
    const { failures, messageIds } = await h.invoke(event);
    expect(failures).toEqual([]);
    expect(h.smtp.messages).toHaveLength(0);
    expect(await h.records()).toEqual([]);
    expect(deadLetters()).toEqual([
      {
        QueueUrl: DLQ_URL,
        MessageBody: JSON.stringify(event),
        MessageAttributes: expect.objectContaining({
          Reason: { DataType: "String", StringValue: expect.stringContaining("user unknown") },
          ErrorCode: { DataType: "String", StringValue: expect.any(String) },
          ResponseCode: { DataType: "Number", StringValue: "550" },
          EventId: { DataType: "String", StringValue: "perm-1" },
          SourceMessageId: { DataType: "String", StringValue: messageIds[0] },
        }),
      },
    ]);
  });

  it("dead-letters a 554 at the end of DATA", async () => {
    const h = await harness({ data: () => ({ code: 554, message: "5.7.1 Message rejected as spam" }) });
    expect((await h.invoke(notification("spam-1"))).failures).toEqual([]);
    expect(deadLetters()[0]?.MessageAttributes?.Reason?.StringValue).toContain("rejected as spam");
  });

  it("dead-letters an invalid event naming the field and the rule, without sending", async () => {
    const h = await harness();
    const { failures } = await h.invoke(notification("bad-1", { to: ["not-an-address"] }), "{oops");
    expect(failures).toEqual([]);
    const reasons = deadLetters().map((input) => input.MessageAttributes?.Reason?.StringValue);
    expect(reasons).toEqual([
      expect.stringMatching(/^invalid event: to\[0\]: must be a plain email address/),
      expect.stringMatching(/^invalid event: event: must be JSON/),
    ]);
    expect(deadLetters()[0]?.MessageAttributes?.ErrorCode?.StringValue).toBe("EEVENT");
    expect(deadLetters()[0]?.MessageAttributes?.EventId?.StringValue).toBe("bad-1");
    expect(deadLetters()[1]?.MessageAttributes).not.toHaveProperty("EventId");
    expect(h.smtp.messages).toHaveLength(0);
  });

  it("reports a permanent failure as a batch failure when the dead-letter queue refuses it: nothing is lost", async () => {
    sqs.on(SendMessageCommand).rejects(Object.assign(new Error("Access denied"), { name: "AccessDenied" }));
    const h = await harness({ rcpt: () => ({ code: 550, message: "5.1.1 user unknown" }) });
    const { failures } = await h.invoke(
      notification("lost-1"),
      "not json",
      notification("fine-1", { to: [] }),
    );
    expect(failures).toEqual(["0", "1", "2"]);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(3);
  });

  it("counts a partly refused message as sent, and nobody who got it gets it again", async () => {
    const h = await harness({
      rcpt: (address) =>
        address === "gone@example.com" ? { code: 550, message: "5.1.1 user unknown" } : undefined,
    });
    const event = notification("partial-1", {
      to: ["bob@example.com", "gone@example.com"],
      cc: ["carol@example.com"],
    });
    const { failures, output } = await h.invoke(event);
    expect(failures).toEqual([]);
    expect(h.smtp.messages.map((m) => m.to)).toEqual([["bob@example.com", "carol@example.com"]]);
    expect(deadLetters()).toEqual([]);
    expect(metricTotal(output, "RejectedRecipients")).toBe(1);
    expect(metricTotal(output, "Sent")).toBe(1);
    expect(await h.records()).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ accepted: 2, rejected: 1 }) }),
    ]);
    await h.invoke(event);
    expect(h.smtp.messages).toHaveLength(1);
  });

  it("acknowledges and sends nothing when SendEmailNotifications is false", async () => {
    const h = await harness({ env: { MM_EMAILSETTINGS_SENDEMAILNOTIFICATIONS: "false" } });
    const { failures } = await h.invoke(notification("off-1"), notification("off-2"));
    expect(failures).toEqual([]);
    expect(h.smtp.messages).toHaveLength(0);
    expect(await h.records()).toEqual([]);
    expect(deadLetters()).toEqual([]);
  });

  it("leaves every record for a retry when the settings are invalid (and still dead-letters invalid events)", async () => {
    const h = await harness({ env: { MM_EMAILSETTINGS_CONNECTIONSECURITY: "SSL3" } });
    const { failures } = await h.invoke(notification("cfg-1"), "{bad");
    expect(failures).toEqual(["0"]);
    expect(h.smtp.messages).toHaveLength(0);
    expect(deadLetters()).toHaveLength(1);
  });

  it("retries an id that another invocation is sending, and skips it once that one has sent it", async () => {
    const h = await harness();
    const elsewhere = dynamoDbPersistence(dynamo.client, h.table);
    elsewhere.configure({ config: notificationIdempotencyConfig(), keyPrefix: NOTIFICATION_KEY_PREFIX });
    const event = notification("busy-1");
    await elsewhere.saveInProgress(event, 60_000);
    expect((await h.invoke(event)).failures).toEqual(["0"]);
    expect(h.smtp.messages).toHaveLength(0);
    expect(deadLetters()).toEqual([]);
    await elsewhere.saveSuccess(event, { messageId: "<busy-1@chat.example.com>", accepted: 1, rejected: 0 });
    expect((await h.invoke(event)).failures).toEqual([]);
    expect(h.smtp.messages).toHaveLength(0);
  });

  it("takes over an id whose sender crashed once its in-progress lease has run out", async () => {
    const h = await harness();
    const crashed = dynamoDbPersistence(dynamo.client, h.table);
    crashed.configure({ config: notificationIdempotencyConfig(), keyPrefix: NOTIFICATION_KEY_PREFIX });
    const event = notification("crashed-1");
    // a lease of 1 ms, over once the clock has moved past it
    await crashed.saveInProgress(event, 1);
    const saved = Date.now();
    await ioUntil(() => Date.now() > saved + 1);
    expect((await h.invoke(event)).failures).toEqual([]);
    expect(h.smtp.messages).toHaveLength(1);
  });

  it(
    "lets exactly one of two handlers in two processes send an id they race on",
    { timeout: 60_000 },
    async () => {
      // the reply to the final dot is held until one worker is done: the sender's claim stays
      // in progress while the other tries
      const reply = heldReply();
      const h = await harness({ afterData: reply.hold });
      const event = notification("race-1");
      const env = {
        ...process.env,
        ...smtpEnv(h.smtp.port),
        ...dynamo.env(h.table),
        HERALD_DEAD_LETTER_QUEUE_URL: "",
        POWERTOOLS_METRICS_DISABLED: "true",
        RACE_EVENT: JSON.stringify(event),
      };
      const worker = fileURLToPath(new URL("./send-notification.race-worker.ts", import.meta.url));
      // A barrier, not a clock: each worker says "ready" once loaded (seconds apart on a busy
      // machine), and both get "go" on stdin together.
      let ready = 0;
      const children: ChildProcessWithoutNullStreams[] = [];
      const run = () =>
        new Promise<{ failed: number }>((resolve, reject) => {
          const child = spawn(process.execPath, [worker], { env, stdio: ["pipe", "pipe", "pipe"] });
          children.push(child);
          let out = "";
          let err = "";
          child.stdout.on("data", (chunk: Buffer) => {
            const wasReady = out.includes("ready\n");
            out += chunk.toString();
            if (!wasReady && out.includes("ready\n") && ++ready === 2)
              for (const c of children) c.stdin.write("go\n");
          });
          child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
          child.on("error", reject);
          child.on("close", (code) => {
            const last = out.trim().split("\n").pop() ?? "";
            if (code === 0 && last.startsWith("{")) resolve(JSON.parse(last) as { failed: number });
            else reject(new Error(`race worker exited ${code}: ${err || out}`));
          });
        });
      const runs = [run(), run()];
      void Promise.race(runs).finally(reply.release);
      const results = await Promise.all(runs);
      expect(h.smtp.messages).toHaveLength(1);
      // one sent it; the other found it in progress and left it for a retry (not failed, not sent)
      expect(results.map((r) => r.failed).sort()).toEqual([0, 1]);
      // the retry SQS makes later is a duplicate
      expect((await h.invoke(event)).failures).toEqual([]);
      expect(h.smtp.messages).toHaveLength(1);
    },
  );

  it(
    "keeps a claim until the invocation ends, not just until its last send may start",
    { timeout: 30_000 },
    async () => {
      // A's send may take its whole bound (4 stages of 2 s) of its 12 s: its last send may
      // start in the first 4 s. The server holds its reply to the final dot: A is still
      // sending when the duplicate arrives 5 s later on the clock, its claim still held.
      const timeout = { MM_EMAILSETTINGS_SMTPSERVERTIMEOUT: "2" };
      const reply = heldReply();
      const h = await harness({ afterData: reply.hold, env: timeout });
      const other = createRuntime({
        clients: ALL_AWS_CLIENTS,
        serviceName: "herald-send-notification-test",
        env: {
          ...smtpEnv(h.smtp.port, timeout),
          ...dynamo.env(h.table),
          HERALD_DEAD_LETTER_QUEUE_URL: DLQ_URL,
        },
      });
      runtimes.push(other);
      const event = notification("late-claim-1");
      const first = createSendNotificationHandler(h.runtime);
      const second = createSendNotificationHandler(other);
      const { result } = await captureStdout(async () => {
        const sending = first(sqsEvent(event), lambdaContext(12_000));
        await reply.reached;
        // a duplicate delivery of the same event reaches another container meanwhile
        vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 5000 });
        const duplicate = await second(sqsEvent(event), lambdaContext()).finally(() => vi.useRealTimers());
        reply.release();
        return { sent: await sending, duplicate };
      });
      expect(result.sent.batchItemFailures).toEqual([]);
      // still in progress elsewhere: left for a retry, not sent again
      expect(result.duplicate.batchItemFailures).toHaveLength(1);
      expect(h.smtp.messages).toHaveLength(1);
    },
  );

  it("keeps sends at or under HERALD_MAX_SEND_RATE per second", async () => {
    const h = await harness({ env: { HERALD_MAX_SEND_RATE: "4" } });
    const events = Array.from({ length: 10 }, (_, i) => notification(`rate-${i}`));
    limiter.granted.length = 0;
    expect((await h.invoke(...events)).failures).toEqual([]);
    expect(h.smtp.messages).toHaveLength(10);
    // each send waited for its one recipient: 4 at once, 4 a second later, 2 after two seconds
    const start = limiter.granted[0]!.at;
    expect(limiter.granted.map((grant) => [grant.at - start, grant.units])).toEqual([
      ...Array.from({ length: 4 }, () => [0, 1]),
      ...Array.from({ length: 4 }, () => [1000, 1]),
      ...Array.from({ length: 2 }, () => [2000, 1]),
    ]);
  });

  it("starts no send when the invocation is about to time out, and leaves the records for a retry", async () => {
    const h = await harness();
    const event = sqsEvent(notification("late-1"));
    const handler = createSendNotificationHandler(h.runtime);
    const { result } = await captureStdout(() => handler(event, lambdaContext(2000)));
    expect(result.batchItemFailures).toHaveLength(1);
    expect(h.smtp.messages).toHaveLength(0);
    expect(await h.records()).toEqual([]);
  });

  it("logs one line per outcome and never the event itself", async () => {
    const h = await harness({ env: { POWERTOOLS_LOG_LEVEL: "INFO" } });
    const secret = "Body text that must stay out of the logs";
    const { output } = await h.invoke(notification("log-1", { text: secret, subject: "Private subject" }));
    expect(output).not.toContain(secret);
    expect(output).not.toContain("Private subject");
    const lines = output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toContainEqual(
      expect.objectContaining({
        event: "notification.sent",
        id: "log-1",
        messageId: "<log-1@chat.example.com>",
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ event: "notification.batch", sent: 1, events: 1 }),
    );
    const emf = lines.find((line) => "_aws" in line);
    expect(emf).toMatchObject({ Sent: 1, SendLatency: expect.any(Number) });
  });

  it("returns before its invocation ends when the table hangs: idempotency and status calls alike", async () => {
    // a table endpoint that takes every request and never answers
    const held = new Set<net.Socket>();
    const hung = net.createServer((socket) => held.add(socket));
    const port = await listenOnLoopback(hung, 0);
    servers.push({
      close: () =>
        new Promise<void>((resolve) => {
          hung.close(() => resolve());
          for (const socket of held) socket.destroy();
        }),
    });
    const smtp = await startSmtpServer({ starttls: false });
    servers.push(smtp);
    const runtime = createRuntime({
      clients: ALL_AWS_CLIENTS,
      serviceName: "herald-send-notification-test",
      env: {
        ...smtpEnv(smtp.port),
        ...dynamo.env(await dynamo.createTable()),
        AWS_ENDPOINT_URL_DYNAMODB: `http://${LOOPBACK}:${port}`,
        HERALD_DEAD_LETTER_QUEUE_URL: DLQ_URL,
      },
    });
    runtimes.push(runtime);
    const handler = createSendNotificationHandler(runtime);
    // the context is the invocation's clock: Lambda ends it at `end`
    const context = lambdaContext(2_500);
    const end = Date.now() + context.getRemainingTimeInMillis();
    const event = sqsEvent(notification("hung-1"));
    const { result } = await captureStdout(() => handler(event, context));
    const returnedAt = Date.now();
    expect(result.batchItemFailures).toHaveLength(1);
    expect(returnedAt).toBeLessThan(end);
  });
});

describe("send-notification over the SES v2 API (aws-ses-v2-local)", () => {
  let ses: LocalSes;
  beforeAll(async () => {
    ses = await startLocalSes();
  });
  afterAll(async () => {
    await ses.close();
  });

  const sesEnv = () => ({
    HERALD_TRANSPORT: "ses-api",
    AWS_ENDPOINT_URL_SESV2: ses.endpoint,
    HERALD_CONFIGURATION_SET: "herald",
  });
  // every header the docs promise (docs/notifications.md), threading and one-click unsubscribe
  const promised = (unsubscribeUrl: string) => ({
    "list-id": "<mention.notifications.chat.example.com>",
    "list-unsubscribe": `<${unsubscribeUrl}>`,
    "list-unsubscribe-post": "List-Unsubscribe=One-Click",
    "auto-submitted": "auto-generated",
    precedence: "bulk",
    "in-reply-to": "<thread-1@chat.example.com>",
    references: "<thread-1@chat.example.com>",
  });
  const fullEvent = (id: string, unsubscribeUrl: string) =>
    notification(id, {
      cc: ["carol@example.com"],
      bcc: ["audit@example.com"],
      category: "mention",
      threadId: "thread-1",
      unsubscribeUrl,
    });

  it("sends Simple content once, with every promised header, and records SES's message id", async () => {
    await ses.clear();
    const h = await harness({ env: sesEnv() });
    const url = "https://chat.example.com/unsubscribe?token=abc";
    const event = fullEvent("ses-1", url);
    expect((await h.invoke(event, event)).failures).toEqual([]);
    expect((await h.invoke(event)).failures).toEqual([]);
    const emails = await ses.emails();
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({
      from: '"Example Chat" <notifications@example.com>',
      replyTo: ["support@example.com"],
      subject: "Notification ses-1",
      // the API's destination: SES puts To and Cc in the headers, Bcc in none
      destination: { to: ["bob@example.com"], cc: ["carol@example.com"], bcc: ["audit@example.com"] },
      body: { html: "<p>Hello Bob, this is <b>ses-1</b>.</p>", text: "Hello Bob, this is ses-1." },
    });
    const headers = Object.fromEntries(
      (emails[0]!.headers ?? []).map((h) => [h.name.toLowerCase(), h.value]),
    );
    expect(headers).toEqual(promised(url));
    const [request] = ses.requests();
    expect(request).toMatchObject({
      ConfigurationSetName: "herald",
      EmailTags: expect.arrayContaining([{ Name: "category", Value: "mention" }]),
    });
    expect(request?.Content.Raw).toBeUndefined();
    const [record] = await h.records();
    expect(record).toMatchObject({ data: { providerMessageId: emails[0]!.messageId } });
    expect(h.smtp.messages).toHaveLength(0);
  });

  it("sends Raw MIME when a header is over SES's 870 characters for Simple content, every header kept", async () => {
    await ses.clear();
    const h = await harness({ env: sesEnv() });
    const base = "https://chat.example.com/unsubscribe?token=";
    // List-Unsubscribe "<url>" of 871 characters: one over what Simple content takes
    const url = base + "a".repeat(871 - 2 - base.length);
    const event = fullEvent("ses-raw-1", url);
    expect((await h.invoke(event)).failures).toEqual([]);
    const emails = await ses.emails();
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({
      subject: "Notification ses-raw-1",
      // the emulator reads To and Cc back from the raw headers: Bcc is in none
      destination: { to: ["bob@example.com"], cc: ["carol@example.com"], bcc: [] },
    });
    const [request] = ses.requests();
    expect(request).toMatchObject({
      ConfigurationSetName: "herald",
      Destination: { ToAddresses: ["bob@example.com", "carol@example.com", "audit@example.com"] },
      EmailTags: expect.arrayContaining([{ Name: "category", Value: "mention" }]),
    });
    expect(request?.Content.Simple).toBeUndefined();
    const parsed = await simpleParser(Buffer.from(request!.Content.Raw!.Data, "base64"));
    // unfolded (RFC 5322: a line break before white space is removed), by lower-case name
    const lines = new Map(
      parsed.headerLines.map((header) => [header.key, header.line.replace(/\r?\n(?=[ \t])/g, "")]),
    );
    for (const [name, value] of Object.entries(promised(url))) {
      expect(lines.get(name)?.replace(/^[^:]+:\s*/, ""), name).toBe(value);
    }
  });
});
