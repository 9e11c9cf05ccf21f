// The processor's own rules, with the transport port and the dead-letter queue in memory
// (the Lambda tests run the same code against smtp-server, aws-ses-v2-local and dynalite).
import { IdempotencyRecord } from "@aws-lambda-powertools/idempotency/persistence";
import { describe, expect, it, vi } from "vitest";
import type { OutgoingMessage } from "../../../src/mail/message.ts";
import type { MailTransport, SendOutcome } from "../../../src/mail/transport.ts";
import type { DeadLetter } from "../../../src/notifications/dead-letter.ts";
import {
  InMemoryPersistenceLayer,
  NOTIFICATION_KEY_PREFIX,
  notificationIdempotencyConfig,
} from "../../../src/notifications/idempotency.ts";
import { createNotificationProcessor, type NotificationDeps } from "../../../src/notifications/process.ts";
import { createRateLimiter } from "../../../src/notifications/rate-limiter.ts";
import { defaultSettings } from "../../../src/settings/load.ts";
import { SEND_RESERVE_MS, SEND_RESPONSE_MARGIN_MS } from "../../../src/constants.ts";
import { needsRedelivery } from "../../../src/notifications/outcome.ts";
import { ioUntil, useFakeClock, watch } from "../../helpers/fake-clock.ts";

function recordingTransport(reply: (message: OutgoingMessage) => SendOutcome) {
  const sent: OutgoingMessage[] = [];
  const transport: MailTransport = {
    kind: "smtp",
    sendBoundMs: 0,
    async send(message) {
      sent.push(message);
      return reply(message);
    },
    async close() {},
  };
  return { transport, sent };
}

const accepted = (message: OutgoingMessage): SendOutcome => ({
  ok: true,
  messageId: message.messageId,
  providerMessageId: "250 2.0.0 queued",
  accepted: message.to,
  rejected: [],
});

const silent = { info() {}, warn() {}, error() {} };

function setup(change: Partial<NotificationDeps> = {}, reply = accepted) {
  const { transport, sent } = recordingTransport(reply);
  const letters: DeadLetter[] = [];
  const counts: Record<string, number> = {};
  const deps: NotificationDeps = {
    settings: defaultSettings(),
    transport: () => transport,
    persistence: new InMemoryPersistenceLayer(),
    rateLimiter: createRateLimiter({ perSecond: 1000 }),
    deadLetters: {
      async send(letter) {
        letters.push(letter);
      },
    },
    logger: silent,
    metrics: {
      addMetric(name, _unit, value) {
        counts[name] = (counts[name] ?? 0) + value;
      },
    },
    ...change,
  };
  return { processor: createNotificationProcessor(deps), sent, letters, counts };
}

const body = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id, to: ["bob@example.com"], subject: "s", text: "t", ...extra });

describe("createNotificationProcessor", () => {
  it("sends once per id with the in-memory store, and counts Sent, Duplicate and SendLatency", async () => {
    const { processor, sent, counts } = setup();
    const first = await processor.process({ messageId: "m1", body: body("a") });
    const again = await processor.process({ messageId: "m2", body: body("a") });
    expect(first).toMatchObject({ kind: "sent", id: "a", accepted: 1, rejected: [], recorded: true });
    expect(again).toEqual({ kind: "duplicate", id: "a", providerMessageId: "250 2.0.0 queued" });
    expect(sent).toHaveLength(1);
    expect(counts).toMatchObject({ Sent: 1, Duplicate: 1, SendLatency: expect.any(Number) });
  });

  it("dead-letters a message over 10 MB without sending it, and releases its id", async () => {
    const { processor, sent, letters } = setup();
    const huge = "x".repeat(10 * 1024 * 1024);
    const outcome = await processor.process({ messageId: "m1", body: body("big", { text: huge }) });
    expect(outcome).toMatchObject({ kind: "permanent", code: "EMESSAGESIZE", deadLetter: "sent" });
    expect(outcome.kind === "permanent" && outcome.reason).toMatch(
      /^message: .* over the 10485760-byte \(10 MB\) limit/,
    );
    expect(letters).toEqual([
      expect.objectContaining({ code: "EMESSAGESIZE", eventId: "big", sourceMessageId: "m1" }),
    ]);
    expect(sent).toHaveLength(0);
    // released: the same id is tried again (and fails again), not skipped as a duplicate
    expect(await processor.process({ messageId: "m2", body: body("big", { text: huge }) })).toMatchObject({
      kind: "permanent",
    });
  });

  it("starts no send after the deadline: retryable, and the id stays free", async () => {
    const { processor, sent } = setup({ deadline: Date.now() - 1 });
    expect(await processor.process({ messageId: "m1", body: body("late") })).toMatchObject({
      kind: "retryable",
      code: "EDEADLINE",
    });
    expect(sent).toHaveLength(0);
    const { processor: later, sent: laterSent } = setup();
    expect(await later.process({ messageId: "m1", body: body("late") })).toMatchObject({ kind: "sent" });
    expect(laterSent).toHaveLength(1);
  });

  it("treats a failure the transport did not classify as retryable", async () => {
    const { processor } = setup({}, (message) => ({
      ok: false,
      messageId: message.messageId,
      accepted: [],
      rejected: [],
    }));
    expect(await processor.process({ messageId: "m1", body: body("odd") })).toMatchObject({
      kind: "retryable",
      code: "ESEND",
    });
  });

  it.each([
    ["a refused login", "auth", "EAUTH", 535],
    ["a certificate that does not verify", "tls", "DEPTH_ZERO_SELF_SIGNED_CERT", undefined],
    ["SES sending paused", "data", "SendingPausedException", 554],
  ])("retries %s instead of dead-lettering every message", async (_name, stage, code, responseCode) => {
    const { processor, letters } = setup({}, (message) => ({
      ok: false,
      messageId: message.messageId,
      accepted: [],
      rejected: [],
      stage: stage as SendOutcome["stage"],
      error: { code, retryable: false, message: "refused", ...(responseCode ? { responseCode } : {}) },
    }));
    expect(await processor.process({ messageId: "m1", body: body("login") })).toMatchObject({
      kind: "retryable",
      code,
    });
    expect(letters).toEqual([]);
  });

  it("still dead-letters a recipient the server refuses for good", async () => {
    const { processor, letters } = setup({}, (message) => ({
      ok: false,
      messageId: message.messageId,
      accepted: [],
      rejected: message.to,
      stage: "rcpt",
      error: { code: "EENVELOPE", responseCode: 550, retryable: false, message: "550 5.1.1 no such user" },
    }));
    expect(await processor.process({ messageId: "m1", body: body("gone") })).toMatchObject({
      kind: "permanent",
      deadLetter: "sent",
    });
    expect(letters).toHaveLength(1);
  });

  it("acknowledges a sent message whose record could not be completed, rather than sending it again", async () => {
    let writes = 0;
    class FailingUpdate extends InMemoryPersistenceLayer {
      protected override async _updateRecord(_record: IdempotencyRecord): Promise<void> {
        writes += 1;
        throw new Error("DynamoDB is unavailable");
      }
    }
    // a short invocation: the completing write is retried until its end, then given up (on a
    // fake clock: the retries' waits add up to seconds)
    useFakeClock();
    try {
      const { processor, sent } = setup({
        persistence: new FailingUpdate(),
        invocationEnd: Date.now() + SEND_RESERVE_MS + SEND_RESPONSE_MARGIN_MS + 1500,
      });
      const outcome = watch(processor.process({ messageId: "m1", body: body("unrecorded") }));
      // each retry's wait passes at once; the store's own async work runs in between
      while (!outcome.settled) {
        await vi.advanceTimersToNextTimerAsync();
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(await outcome.result).toMatchObject({ kind: "sent", recorded: false });
      expect(sent).toHaveLength(1);
      expect(writes).toBeGreaterThan(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("leaves a record for a retry when the idempotency store is down (nothing is sent)", async () => {
    class Down extends InMemoryPersistenceLayer {
      protected override async _putRecord(_record: IdempotencyRecord): Promise<void> {
        throw new Error("connect ECONNREFUSED");
      }
    }
    const { processor, sent } = setup({ persistence: new Down() });
    expect(await processor.process({ messageId: "m1", body: body("down") })).toMatchObject({
      kind: "retryable",
      code: "EIDEMPOTENCY",
      reason: expect.stringContaining("ECONNREFUSED"),
    });
    expect(sent).toHaveLength(0);
  });

  it("retries the completing write within the invocation, so a redelivery finds the record", async () => {
    let failures = 1;
    class FlakyUpdate extends InMemoryPersistenceLayer {
      protected override async _updateRecord(record: IdempotencyRecord): Promise<void> {
        if (failures-- > 0) throw new Error("DynamoDB is unavailable");
        await super._updateRecord(record);
      }
    }
    const { processor, sent } = setup({ persistence: new FlakyUpdate() });
    expect(await processor.process({ messageId: "m1", body: body("flaky") })).toMatchObject({
      kind: "sent",
      recorded: true,
    });
    expect(await processor.process({ messageId: "m2", body: body("flaky") })).toMatchObject({
      kind: "duplicate",
    });
    expect(sent).toHaveLength(1);
  });

  describe("recipients refused for now (4xx) while others accepted", () => {
    const deferring =
      (later: Set<string>) =>
      (message: OutgoingMessage): SendOutcome => ({
        ok: message.to.some((address) => !later.has(address)),
        messageId: message.messageId,
        accepted: message.to.filter((address) => !later.has(address)),
        rejected: [],
        deferred: message.to.filter((address) => later.has(address)),
        deferredReason: "451 4.3.0 Try again later",
        ...(message.to.every((address) => later.has(address))
          ? {
              stage: "rcpt" as const,
              error: { code: "EENVELOPE", responseCode: 451, retryable: true, message: "451 4.3.0 later" },
            }
          : {}),
      });
    const three = (id: string) =>
      body(id, { to: ["bob@example.com", "carol@example.com"], cc: ["dan@example.com"] });

    it("sends the same message again to those only on the next receive, until every one is settled", async () => {
      const later = new Set(["carol@example.com"]);
      const { processor, sent, counts } = setup({}, deferring(later));
      const first = await processor.process({ messageId: "m1", body: three("p"), receiveCount: 1 });
      expect(first).toMatchObject({ kind: "sent", deferred: ["carol@example.com"] });
      expect(needsRedelivery(first)).toBe(true);
      later.clear();
      const second = await processor.process({ messageId: "m1", body: three("p"), receiveCount: 2 });
      expect(second).toMatchObject({ kind: "sent", accepted: 1 });
      expect(needsRedelivery(second)).toBe(false);
      expect(await processor.process({ messageId: "m1", body: three("p"), receiveCount: 3 })).toMatchObject({
        kind: "duplicate",
      });
      expect(sent.map((m) => m.to)).toEqual([
        ["bob@example.com", "carol@example.com", "dan@example.com"],
        ["carol@example.com"],
      ]);
      // the same rendered message: Message-ID and Date kept
      expect(sent[1]!.messageId).toBe(sent[0]!.messageId);
      const date = (m: OutgoingMessage) => /^Date: .*$/m.exec(String(m.raw))?.[0];
      expect(date(sent[1]!)).toBe(date(sent[0]!));
      expect(counts.DeferredRecipients).toBe(1);
    });

    it("a later round re-sends round 0's Date and Message-ID exactly, whatever the clock says then", async () => {
      // an injected clock: round 0 at 10:00:00.400, round 1 an hour and a bit later
      let clock = Date.parse("2026-03-01T10:00:00.400Z");
      const later = new Set(["carol@example.com"]);
      const { processor, sent } = setup({ now: () => clock }, deferring(later));
      await processor.process({ messageId: "m1", body: three("clock"), receiveCount: 1 });
      clock += 3_600_000 + 1_234;
      later.clear();
      expect(
        await processor.process({ messageId: "m1", body: three("clock"), receiveCount: 2 }),
      ).toMatchObject({ kind: "sent", accepted: 1 });
      const header = (m: OutgoingMessage, name: string) =>
        new RegExp(`^${name}: (.*)$`, "m").exec(String(m.raw))?.[1];
      expect(sent.map((m) => m.to)).toEqual([
        ["bob@example.com", "carol@example.com", "dan@example.com"],
        ["carol@example.com"],
      ]);
      expect(header(sent[0]!, "Date")).toBe("Sun, 01 Mar 2026 10:00:00 +0000");
      expect(header(sent[1]!, "Date")).toBe(header(sent[0]!, "Date"));
      expect(header(sent[1]!, "Message-ID")).toBe(header(sent[0]!, "Message-ID"));
      expect(sent[1]!.messageId).toBe(sent[0]!.messageId);
    });

    it("dead-letters the recipients still refused on the last receive, with the server's reason", async () => {
      const { processor, sent, letters } = setup({}, deferring(new Set(["carol@example.com"])));
      const outcomes = [];
      for (let receive = 1; receive <= 5; receive++) {
        outcomes.push(await processor.process({ messageId: "m1", body: three("q"), receiveCount: receive }));
      }
      expect(outcomes.slice(0, 4).every((o) => needsRedelivery(o))).toBe(true);
      expect(needsRedelivery(outcomes[4]!)).toBe(false);
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({
        recipients: ["carol@example.com"],
        reason: expect.stringMatching(/^not sent after 5 receives: 451 /),
      });
      // bob and dan got it once; carol was tried on every receive
      expect(sent.filter((m) => m.to.includes("bob@example.com"))).toHaveLength(1);
      expect(sent.filter((m) => m.to.includes("carol@example.com"))).toHaveLength(5);
    });
  });

  describe("an outcome the server did not tell", () => {
    const lost = (message: OutgoingMessage): SendOutcome => ({
      ok: false,
      unknown: true,
      messageId: message.messageId,
      accepted: [],
      rejected: [],
      stage: "data",
      error: { code: "ECONNECTION", retryable: true, message: "Connection closed unexpectedly" },
    });

    it("at-least-once (the default): counted, retried, and sent again on the next receive", async () => {
      let replies = 0;
      const { processor, sent, counts } = setup({}, (message) =>
        replies++ === 0 ? lost(message) : accepted(message),
      );
      expect(await processor.process({ messageId: "m1", body: body("u") })).toMatchObject({
        kind: "retryable",
        code: "EUNKNOWN",
        unknown: true,
      });
      expect(await processor.process({ messageId: "m1", body: body("u"), receiveCount: 2 })).toMatchObject({
        kind: "sent",
      });
      expect(sent).toHaveLength(2);
      expect(counts.UnknownOutcome).toBe(1);
    });

    it("at-most-once: counted and completed as sent-unknown, never sent again", async () => {
      const { processor, sent, counts } = setup({ unknownOutcome: "at-most-once" }, lost);
      expect(await processor.process({ messageId: "m1", body: body("v") })).toMatchObject({
        kind: "sent",
        unknown: true,
      });
      expect(await processor.process({ messageId: "m1", body: body("v"), receiveCount: 2 })).toMatchObject({
        kind: "duplicate",
      });
      expect(sent).toHaveLength(1);
      expect(counts.UnknownOutcome).toBe(1);
    });

    it.each([
      ["at-least-once", 1],
      ["at-most-once", 0],
    ] as const)(
      "a claim taken over from a dead invocation is unknown: %s sends it %i time(s)",
      async (policy, sends) => {
        const persistence = new InMemoryPersistenceLayer();
        const { processor, sent, counts } = setup({ persistence, unknownOutcome: policy });
        // an invocation claimed it, then died: its lease ran out
        await persistence.saveInProgress({ id: "w" }, 1);
        const saved = Date.now();
        await ioUntil(() => Date.now() > saved + 1);
        expect(await processor.process({ messageId: "m1", body: body("w"), receiveCount: 2 })).toMatchObject({
          kind: "sent",
        });
        expect(sent).toHaveLength(sends);
        expect(counts.UnknownOutcome).toBe(1);
      },
    );
  });

  it("reports a permanent failure without a dead-letter queue as not dead-lettered", async () => {
    const { processor } = setup({ deadLetters: undefined });
    expect(await processor.process({ messageId: "m1", body: "[]" })).toMatchObject({
      kind: "permanent",
      code: "EEVENT",
      deadLetter: "none",
    });
  });
});

describe("InMemoryPersistenceLayer", () => {
  it("lets a crashed claim be taken over once its in-progress lease has passed", async () => {
    const store = new InMemoryPersistenceLayer();
    store.configure({ config: notificationIdempotencyConfig(), keyPrefix: NOTIFICATION_KEY_PREFIX });
    await store.saveInProgress({ id: "x" }, 60_000);
    await expect(store.saveInProgress({ id: "x" }, 60_000)).rejects.toThrow(/already existing/);
    await store.deleteRecord({ id: "x" });
    await store.saveInProgress({ id: "x" }, 1);
    const saved = Date.now();
    await ioUntil(() => Date.now() > saved + 1);
    await expect(store.saveInProgress({ id: "x" }, 60_000)).resolves.toBeUndefined();
  });
});
