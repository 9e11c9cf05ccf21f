// What a careless sender reads when an event is wrong: the field, and what to do about it.
import { describe, expect, it } from "vitest";
import { parseNotificationEvent } from "../../../src/notifications/parse.ts";

function problems(event: unknown) {
  const parsed = parseNotificationEvent(JSON.stringify(event));
  return parsed.ok ? [] : parsed.problems;
}

describe("event problems", () => {
  it("says an id that is present but not a string must be a string (not that it is required)", () => {
    expect(problems({ id: 5, to: ["bob@example.com"], subject: "s", text: "t" })).toEqual([
      { field: "id", rule: expect.stringMatching(/^must be a string/) },
    ]);
    expect(problems({ to: ["bob@example.com"], subject: "s", text: "t" })).toEqual([
      { field: "id", rule: expect.stringMatching(/^required/) },
    ]);
  });

  it("says a subject that is present but not a string must be a string", () => {
    expect(problems({ id: "a", to: ["bob@example.com"], subject: 7, text: "t" })).toEqual([
      { field: "subject", rule: expect.stringMatching(/^must be a string/) },
    ]);
  });

  it("says what an EventBridge envelope without detail misses, and the fix", () => {
    const found = problems({ "detail-type": "Notification", source: "app" });
    expect(found).toEqual([{ field: "detail", rule: expect.stringMatching(/^required: the notification/) }]);
    expect(found[0]!.rule).not.toMatch(/nonoptional/);
  });
});

describe("repeated recipients", () => {
  it("keeps each address once, at its first place (to, then cc, then bcc), whatever its case", () => {
    const parsed = parseNotificationEvent({
      id: "r1",
      subject: "s",
      text: "t",
      to: ["Bob@Example.com", "carol@example.com", "bob@example.com"],
      cc: ["CAROL@example.com", "dave@example.com"],
      bcc: ["bob@EXAMPLE.com", "erin@example.com", "dave@example.com"],
    });
    expect(parsed.ok && parsed.notification).toMatchObject({
      to: ["Bob@Example.com", "carol@example.com"],
      cc: ["dave@example.com"],
      bcc: ["erin@example.com"],
    });
  });
});
