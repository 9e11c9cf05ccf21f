// An event whose content cannot be rendered fails the same way on every retry: it is a
// permanent failure that names the field, dead-lettered with its reason, and nothing is sent.
import { expect, it } from "vitest";
import type { OutgoingMessage } from "../../../src/mail/message.ts";
import type { DeadLetter } from "../../../src/notifications/dead-letter.ts";
import { InMemoryPersistenceLayer } from "../../../src/notifications/idempotency.ts";
import { createNotificationProcessor } from "../../../src/notifications/process.ts";
import { createRateLimiter } from "../../../src/notifications/rate-limiter.ts";
import { defaultSettings } from "../../../src/settings/load.ts";

function setup() {
  const sent: OutgoingMessage[] = [];
  const letters: DeadLetter[] = [];
  const processor = createNotificationProcessor({
    settings: defaultSettings(),
    transport: () => ({
      kind: "smtp",
      sendBoundMs: 0,
      async send(message) {
        sent.push(message);
        return { ok: true, messageId: message.messageId, accepted: message.to, rejected: [] };
      },
      async close() {},
    }),
    persistence: new InMemoryPersistenceLayer(),
    rateLimiter: createRateLimiter({ perSecond: 1000 }),
    deadLetters: {
      async send(letter) {
        letters.push(letter);
      },
    },
    logger: { info() {}, warn() {}, error() {} },
    metrics: { addMetric: () => undefined },
  });
  return { processor, sent, letters };
}

it("dead-letters an HTML-only event too deeply nested to convert to text, naming the html field", async () => {
  const { processor, sent, letters } = setup();
  const body = JSON.stringify({
    id: "deep-1",
    to: ["bob@example.com"],
    subject: "s",
    // far past any stack: a warm process's optimised frames convert a few thousand levels
    html: "<b>".repeat(100_000),
  });
  const outcome = await processor.process({ messageId: "m1", body });
  expect(outcome).toMatchObject({ kind: "permanent", code: "ERENDER", id: "deep-1", deadLetter: "sent" });
  expect(outcome.kind === "permanent" && outcome.reason).toMatch(/^html: /);
  expect(letters).toEqual([
    expect.objectContaining({ code: "ERENDER", eventId: "deep-1", reason: expect.stringMatching(/^html: /) }),
  ]);
  expect(sent).toHaveLength(0);
});

it("still sends the same markup when the event gives its own text part (html-to-text is not needed)", async () => {
  const { processor, sent } = setup();
  const body = JSON.stringify({
    id: "deep-2",
    to: ["bob@example.com"],
    subject: "s",
    text: "plain",
    html: "<b>".repeat(100_000),
  });
  expect(await processor.process({ messageId: "m1", body })).toMatchObject({ kind: "sent" });
  expect(sent).toHaveLength(1);
});
