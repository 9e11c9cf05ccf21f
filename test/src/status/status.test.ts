// Status records through the real handlers against dynalite: the pipeline's send (SES API on
// the local emulator, or plain SMTP), then SES-shaped events through the feedback operation
// the feedback Lambda runs; `herald status` and the status function read them back.
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { mockClient } from "aws-sdk-client-mock";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createNotificationStatusHandler } from "../../../lambdas/notification-status.ts";
import { createSendNotificationHandler } from "../../../lambdas/send-notification.ts";
import { sesEvent, type SesEventKind } from "../../../sandbox/ses-events.ts";
import { runCli } from "../../../src/cli/main.ts";
import { handleSesFeedback } from "../../../src/operations/ses-feedback.ts";
import { createRuntime, type Runtime } from "../../../src/runtime.ts";
import { openStatusStore } from "../../../src/status/open.ts";
import { createStatusStore, type StatusStore } from "../../../src/status/store.ts";
import { captureStdout } from "../../helpers/capture-stdout.ts";
import { startDynalite, type TestDynamo } from "../../../sandbox/servers/dynalite.ts";
import { startLocalSes, type LocalSes } from "../../../sandbox/servers/ses.ts";
import { startSmtpServer } from "../../../sandbox/servers/smtp.ts";
import { lambdaContext, notification, smtpEnv, sqsEvent } from "../../lambdas/send-notification.fixtures.ts";
import { ALL_AWS_CLIENTS } from "../../../src/aws-clients.ts";

const eventBridge = mockClient(EventBridgeClient);
let dynamo: TestDynamo;
let ses: LocalSes;
let table: string;
const runtimes: Runtime[] = [];

beforeAll(async () => {
  [dynamo, ses] = await Promise.all([startDynalite(), startLocalSes()]);
  table = await dynamo.createTable();
  vi.stubEnv("AWS_ACCESS_KEY_ID", "test");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "test");
  vi.stubEnv("AWS_REGION", "us-east-1");
});

afterAll(async () => {
  vi.unstubAllEnvs();
  eventBridge.restore();
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.close()));
  await Promise.all([dynamo.close(), ses.close()]);
});

beforeEach(() => {
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map((_, i) => ({ EventId: `e-${i}` })),
  }));
});

function runtimeFor(env: Record<string, string>): Runtime {
  const runtime = createRuntime({
    serviceName: "herald-status-test",
    env: { ...dynamo.env(table), ...env },
    clients: ALL_AWS_CLIENTS,
  });
  runtimes.push(runtime);
  return runtime;
}

const sesApiEnv = () => ({
  ...smtpEnv(1),
  HERALD_TRANSPORT: "ses-api",
  AWS_ENDPOINT_URL_SESV2: ses.endpoint,
  HERALD_CONFIGURATION_SET: "herald",
});

/** The feedback Lambda's work for one SES event, as it runs it (EventBridge mocked). */
async function feedback(event: object, store: StatusStore = openStatusStore(runtimeFor({}))!) {
  const deps = {
    eventBridge: new EventBridgeClient({ region: "us-east-1" }),
    logger: new Logger({ serviceName: "herald-feedback", logLevel: "SILENT" }),
    metrics: new Metrics({ namespace: "Herald", serviceName: "herald-feedback" }),
    status: store,
  };
  const { result } = await captureStdout(() => handleSesFeedback(event, deps));
  return result;
}

/** Send through the real send-notification handler; returns SES's message id and its time. */
async function sendViaPipeline(body: Record<string, unknown>, env: Record<string, string> = sesApiEnv()) {
  const handler = createSendNotificationHandler(runtimeFor(env));
  const { result } = await captureStdout(() => handler(sqsEvent(body), lambdaContext()));
  expect(result.batchItemFailures).toEqual([]);
}

async function herald(...args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env: { ...dynamo.env(table), AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" },
  });
  return { code, stdout, stderr };
}

const read = (id: string) => openStatusStore(runtimeFor({}))!.read(id);

describe("status record through the pipeline and the feedback handler", () => {
  it("a notification sent by the pipeline, then a Delivery event: delivered, herald status exits 0", async () => {
    await sendViaPipeline(notification("post.1", { cc: ["carol@example.com"] }));
    const sent = await read("post.1");
    expect(sent).toMatchObject({
      transport: "ses-api",
      outcome: "sent",
      recipients: [
        { address: "bob@example.com", state: "sent", source: "pipeline" },
        { address: "carol@example.com", state: "sent", source: "pipeline" },
      ],
    });
    expect(sent!.providerMessageId).toMatch(/.+/);
    expect((await herald("status", "post.1")).code).toBe(1);

    const destination = ["bob@example.com", "carol@example.com"];
    const input = {
      id: "post.1",
      sesMessageId: sent!.providerMessageId!,
      sentAt: sent!.sentAt!,
      destination,
      at: new Date(Date.parse(sent!.sentAt!) + 1500).toISOString(),
    };
    expect(await feedback(sesEvent("Delivery", input))).toMatchObject({ status: "updated", published: 2 });
    const delivered = await read("post.1");
    expect(delivered!.recipients.map((r) => [r.address, r.state, r.at])).toEqual([
      ["bob@example.com", "delivered", input.at],
      ["carol@example.com", "delivered", input.at],
    ]);
    const cli = await herald("status", "post.1");
    expect(cli).toMatchObject({ code: 0, stderr: "" });
    expect(cli.stdout).toContain(`bob@example.com: delivered at ${input.at}`);
    const json = JSON.parse((await herald("status", "post.1", "--json")).stdout);
    expect(json).toMatchObject({ found: true, id: "post.1", outcome: "sent" });
  });

  it("a Bounce Permanent/General: bounced with the diagnostic code; exit 1", async () => {
    await sendViaPipeline(notification("post_1")); // SES's tag rules made it collide with post.1
    const sent = (await read("post_1"))!;
    await feedback(
      sesEvent("Bounce", {
        id: "post_1",
        sesMessageId: sent.providerMessageId!,
        sentAt: sent.sentAt!,
        destination: ["bob@example.com"],
        at: new Date(Date.parse(sent.sentAt!) + 900).toISOString(),
      }),
    );
    expect((await read("post_1"))!.recipients).toEqual([
      expect.objectContaining({
        address: "bob@example.com",
        state: "bounced",
        bounceType: "Permanent",
        bounceSubType: "General",
        diagnosticCode: "smtp; 550 5.1.1 user unknown",
        reason: "Permanent/General: smtp; 550 5.1.1 user unknown",
      }),
    ]);
    const cli = await herald("status", "post_1");
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain("bounced");
    expect(cli.stdout).toContain("550 5.1.1 user unknown");
    // the other notification is untouched
    expect((await read("post.1"))!.recipients.every((r) => r.state === "delivered")).toBe(true);
  });

  it("over plain SMTP only the send is known, and says so", async () => {
    const smtp = await startSmtpServer({ starttls: false });
    try {
      await sendViaPipeline(notification("smtp-1"), smtpEnv(smtp.port));
    } finally {
      await smtp.close();
    }
    const status = (await read("smtp-1"))!;
    expect(status).toMatchObject({ transport: "smtp", eventsExpected: false });
    const cli = await herald("status", "smtp-1");
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain("only the send is known");
  });

  it("an unknown id: exit 2, and the status function says it was not found", async () => {
    const cli = await herald("status", "never-sent");
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain("no status record");
    expect((await herald("status")).code).toBe(2);
    const handler = createNotificationStatusHandler(runtimeFor({}));
    const context = lambdaContext();
    expect(await handler({ id: "never-sent" }, context)).toMatchObject({ found: false, id: "never-sent" });
    expect(await handler({ id: 5 }, context)).toMatchObject({
      found: false,
      error: expect.stringMatching(/^id: /),
    });
    expect(await handler({ id: "post.1" }, context)).toMatchObject({
      found: true,
      allDelivered: true,
      summary: expect.arrayContaining([expect.stringContaining("bob@example.com: delivered")]),
    });
  });

  it("an SES event without Herald's id tag touches no record", async () => {
    const event = sesEvent("Delivery", {
      id: "x",
      sesMessageId: "m-untagged",
      sentAt: new Date().toISOString(),
      destination: ["a@example.net"],
    }) as { detail: { mail: { tags: Record<string, string[]> } } };
    event.detail.mail.tags = { "ses:configuration-set": ["herald"] };
    expect(await feedback(event)).toMatchObject({ status: "no-id" });
  });
});

describe("status record: order, duplicates, expiry", () => {
  const base = Date.parse("2026-11-20T10:00:00.000Z");
  const iso = (offsetMs: number) => new Date(base + offsetMs).toISOString();

  it("events in every order, duplicated, for many recipients: the same final state", async () => {
    const recipients = Array.from({ length: 6 }, (_, i) => `r${i}@example.net`);
    const input = (extra: object) => ({
      sesMessageId: "ses-order",
      sentAt: iso(0),
      destination: recipients,
      ...extra,
    });
    const events: Array<[SesEventKind, object]> = [
      ["Send", {}],
      ["Delivery", { recipients: recipients.slice(0, 4), at: iso(2000) }],
      ["DeliveryDelay", { recipients: [recipients[4]!], at: iso(1000) }],
      ["Delivery", { recipients: [recipients[4]!], at: iso(60_000) }],
      ["Bounce", { recipients: [recipients[5]!], at: iso(1500) }],
      ["Complaint", { recipients: [recipients[0]!], at: iso(3_600_000) }],
    ];
    const now = () => base + 60_000;
    const store = createStatusStore({
      client: dynamo.client,
      tableName: table,
      retentionSeconds: 30 * 86_400,
      addresses: "plain",
      now,
    });
    const finalState = async (id: string, order: number[]) => {
      for (const index of order) {
        const [kind, extra] = events[index]!;
        await feedback(sesEvent(kind, { ...input(extra), id } as Parameters<typeof sesEvent>[1]), store);
      }
      return (await store.read(id))!.recipients.map((r) => [r.address, r.state, r.at]);
    };
    const expected = await finalState("order-reference", [0, 1, 2, 3, 4, 5]);
    expect(expected).toEqual([
      ["r0@example.net", "complained", iso(3_600_000)],
      ["r1@example.net", "delivered", iso(2000)],
      ["r2@example.net", "delivered", iso(2000)],
      ["r3@example.net", "delivered", iso(2000)],
      ["r4@example.net", "delivered", iso(60_000)],
      ["r5@example.net", "bounced", iso(1500)],
    ]);
    let run = 0;
    // every event at least once, some again, in an order fast-check picks
    const orders = fc
      .array(fc.integer({ min: 0, max: events.length - 1 }), { maxLength: 8 })
      .chain((extra) => {
        const all = [...events.keys(), ...extra];
        return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
      });
    await fc.assert(
      fc.asyncProperty(orders, async (order) => {
        expect(await finalState(`order-${run++}`, order)).toEqual(expected);
      }),
      { numRuns: 12 },
    );
  });

  it("expires with the send, and a late event does not bring an expired record back", async () => {
    let now = base;
    const store = createStatusStore({
      client: dynamo.client,
      tableName: table,
      retentionSeconds: 86_400,
      addresses: "hashed",
      now: () => now,
    });
    const input = { id: "late-1", sesMessageId: "ses-late", sentAt: iso(0), destination: ["A@example.net"] };
    expect(await feedback(sesEvent("Delivery", { ...input, at: iso(1000) }), store)).toMatchObject({
      status: "updated",
    });
    const status = (await store.read("late-1"))!;
    // hashed: the address is not kept, its digest (of the lower-cased address) is
    expect(status.recipients).toEqual([
      expect.objectContaining({
        address: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        state: "delivered",
      }),
    ]);
    expect(JSON.stringify(status)).not.toContain("example.net");
    now = base + 86_400_000 + 1; // one retention later
    expect(await store.read("late-1")).toBeUndefined();
    expect(await feedback(sesEvent("Complaint", { ...input, at: iso(86_400_000 + 1) }), store)).toMatchObject(
      {
        status: "expired",
      },
    );
    expect(await store.read("late-1")).toBeUndefined();
    now = base;
    expect((await store.read("late-1"))!.recipients[0]!.state).toBe("delivered");
  });
});
