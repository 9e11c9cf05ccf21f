// RFC 5322 2.1.1: a line of a message holds at most 998 characters. A subject word that
// folding cannot break and an unsubscribe URL that percent-encoding lengthens must not
// produce a longer one.
import { simpleParser } from "mailparser";
import { describe, expect, it } from "vitest";
import { renderNotification } from "../../../src/mail/render-notification.ts";
import { parseNotificationEvent } from "../../../src/notifications/parse.ts";
import { defaultSettings } from "../../../src/settings/load.ts";

const MAX_LINE = 998;

function parse(event: Record<string, unknown>) {
  return parseNotificationEvent(JSON.stringify({ id: "h-1", to: ["bob@example.com"], text: "t", ...event }));
}

async function render(event: Record<string, unknown>) {
  const parsed = parse(event);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const raw = String((await renderNotification(defaultSettings(), parsed.notification)).raw);
  return { raw, longest: Math.max(...raw.split("\r\n").map((line) => line.length)) };
}

describe("header lines", () => {
  it.each([
    ["998 characters without a space", "x".repeat(998)],
    ["997 characters without a space", "y".repeat(997)],
    ["998 characters with spaces", "word ".repeat(199) + "end"],
  ])("keeps a subject of %s under 998 characters a line, and it reads back the same", async (_, subject) => {
    const { raw, longest } = await render({ subject });
    expect(longest).toBeLessThanOrEqual(MAX_LINE);
    expect((await simpleParser(raw)).subject).toBe(subject);
  });

  it("keeps the List-Unsubscribe line under 998 characters for the longest URL the schema admits", async () => {
    const url = `https://example.com/u/${"a".repeat(900 - 22)}`;
    const { raw, longest } = await render({ subject: "s", unsubscribeUrl: url });
    expect(longest).toBeLessThanOrEqual(MAX_LINE);
    expect(raw).toContain(`<${url}>`);
  });

  it("refuses an unsubscribeUrl whose percent-encoded form is over the limit, naming the field", () => {
    // 880 quotes are 880 characters as given, 2,640 once percent-encoded (%22)
    const parsed = parse({ subject: "s", unsubscribeUrl: `https://example.com/${'"'.repeat(880)}` });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems).toEqual([
      { field: "unsubscribeUrl", rule: expect.stringMatching(/percent-encoded/) },
    ]);
  });
});
