import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { NOTIFICATION_SCHEMA_FILE } from "../../../src/notifications/json-schema.ts";
import { parseNotificationEvent, type ParsedEvent } from "../../../src/notifications/parse.ts";
import { NOTIFICATION_LIMITS, notificationJsonSchema } from "../../../src/notifications/schema.ts";

const valid = { id: "n-1", to: ["alice@example.com"], subject: "Hello", text: "Hi" };

function problemsOf(result: ParsedEvent) {
  if (result.ok) throw new Error("expected the event to be rejected");
  return result.problems;
}

function addresses(count: number, domain = "example.com"): string[] {
  return Array.from({ length: count }, (_, i) => `user${i}@${domain}`);
}

describe("notification event contract", () => {
  it("examples/notification-event.schema.json is the schema's JSON Schema (regenerate: npx node src/notifications/json-schema.ts)", async () => {
    const published = JSON.parse(await readFile(NOTIFICATION_SCHEMA_FILE, "utf8")) as unknown;
    expect(published).toEqual(notificationJsonSchema());
  });

  it("every sample in examples/notifications.ndjson is valid", async () => {
    const lines = (await readFile(new URL("../../../examples/notifications.ndjson", import.meta.url), "utf8"))
      .split("\n")
      .filter((line) => line.trim() !== "");
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(parseNotificationEvent(line)).toMatchObject({ ok: true });
  });

  it("accepts a bare detail and an EventBridge event around it alike", () => {
    const bare = parseNotificationEvent(JSON.stringify(valid));
    const wrapped = parseNotificationEvent(
      JSON.stringify({
        version: "0",
        id: "eb-1",
        "detail-type": "Notification",
        source: "app",
        detail: valid,
      }),
    );
    expect(bare).toEqual({ ok: true, notification: valid });
    expect(wrapped).toEqual(bare);
  });

  it("accepts exactly 50 recipients across to, cc and bcc, and a 998-character subject", () => {
    const event = {
      ...valid,
      to: addresses(20),
      cc: addresses(20, "example.org"),
      bcc: addresses(10, "example.net"),
      subject: "s".repeat(NOTIFICATION_LIMITS.subjectChars),
    };
    expect(parseNotificationEvent(event)).toMatchObject({ ok: true });
  });

  // [what, event, field named, rule mentions]
  const rejections: Array<[string, unknown, string, RegExp]> = [
    ["no id", { ...valid, id: undefined }, "id", /required/],
    ["empty id", { ...valid, id: "" }, "id", /empty/],
    ["a line break in the id", { ...valid, id: "a\r\nb" }, "id", /control characters/],
    ["no recipients", { ...valid, to: [] }, "to", /at least 1/],
    ["a bad address", { ...valid, to: ["alice@example.com", "not an address"] }, "to[1]", /email address/],
    [
      "an address with a header after it",
      { ...valid, cc: ["bob@example.com\r\nBcc: eve@evil.test"] },
      "cc[0]",
      /email address/,
    ],
    ["51 recipients in to", { ...valid, to: addresses(51) }, "to", /at most 50/],
    [
      "51 recipients in all",
      { ...valid, to: addresses(30), bcc: addresses(21, "example.org") },
      "to",
      /at most 50 recipients in to, cc and bcc together \(got 51\)/,
    ],
    ["no subject", { ...valid, subject: undefined }, "subject", /required/],
    ["an empty subject", { ...valid, subject: "" }, "subject", /empty/],
    ["a blank subject", { ...valid, subject: " \r\n\t" }, "subject", /visible character/],
    ["a 999-character subject", { ...valid, subject: "s".repeat(999) }, "subject", /at most 998/],
    ["no body", { id: "n", to: ["a@example.com"], subject: "s" }, "text", /text or html is required/],
    ["a number as text", { ...valid, text: 42 }, "text", /string/],
    ["a category with a space", { ...valid, category: "a b" }, "category", /letters, digits/],
    ["a reply-to that is no address", { ...valid, replyTo: "support" }, "replyTo", /email address/],
    ["a thread id with an @", { ...valid, threadId: "root@evil.test" }, "threadId", /Message-ID/],
    [
      "a thread id with a line break",
      { ...valid, threadId: "root>\r\nBcc: eve@evil.test" },
      "threadId",
      /Message-ID/,
    ],
    [
      "an http unsubscribe URL",
      { ...valid, unsubscribeUrl: "http://example.com/u" },
      "unsubscribeUrl",
      /https/,
    ],
    [
      "an unsubscribe URL with a line break",
      { ...valid, unsubscribeUrl: "https://example.com/u\r\nBcc: eve@evil.test" },
      "unsubscribeUrl",
      /printable ASCII/,
    ],
    // URL() cannot parse these: the rule that measures the URL as URL() writes it must not throw
    [
      "an unsubscribe URL that is no URL",
      { ...valid, unsubscribeUrl: "not a url" },
      "unsubscribeUrl",
      /https/,
    ],
    ["an unsubscribe URL with no host", { ...valid, unsubscribeUrl: "https://" }, "unsubscribeUrl", /https/],
    [
      "an unknown field",
      { ...valid, unsubscribeURL: "https://example.com/u" },
      "event",
      /unknown field.*unsubscribeURL/,
    ],
    ["an array", [valid], "event", /JSON object/],
  ];

  it.each(rejections)("rejects %s, naming the field and the rule", (_what, event, field, rule) => {
    const problems = problemsOf(parseNotificationEvent(JSON.stringify(event)));
    expect(problems).toContainEqual({ field, rule: expect.stringMatching(rule) });
  });

  it("rejects a body that is not JSON", () => {
    expect(problemsOf(parseNotificationEvent("{not json"))).toEqual([
      { field: "event", rule: expect.stringMatching(/^must be JSON/) },
    ]);
  });

  it("keeps the body out of a JSON syntax error (it reaches logs and the dead-letter reason)", () => {
    for (const body of [
      "alice.private@example.com",
      '{"to":["alice.private@example.com", "bob@example.com"], "subject": "Payroll", "x": tru}',
    ]) {
      const [problem] = problemsOf(parseNotificationEvent(body));
      expect(problem?.rule).toMatch(/^must be JSON \(syntax error( at position \d+)?\)$/);
      expect(problem?.rule).not.toMatch(/alice|Payroll|tru/);
    }
  });

  it("names fields inside an EventBridge event by their path, and checks the detail-type", () => {
    const wrapped = { "detail-type": "Notification", detail: { ...valid, to: ["nope"] } };
    expect(problemsOf(parseNotificationEvent(wrapped))).toContainEqual({
      field: "detail.to[0]",
      rule: expect.stringMatching(/email address/),
    });
    const other = { "detail-type": "Something Else", detail: valid };
    expect(problemsOf(parseNotificationEvent(other))).toEqual([
      { field: "detail-type", rule: 'must be "Notification"' },
    ]);
  });

  it("reports every problem at once, and keeps a printable id for the dead-letter queue", () => {
    const result = parseNotificationEvent({ id: "n-7", to: ["x"], subject: "", text: "t" });
    expect(result).toMatchObject({ ok: false, id: "n-7" });
    expect(problemsOf(result).map((p) => p.field)).toEqual(["to[0]", "subject"]);
    expect(parseNotificationEvent({ id: "a\nb", to: [] })).not.toHaveProperty("id");
  });
});
