// The notification id through SES message tags: the ids SES's own replacement made collide
// come back distinct and whole, from what the send path renders to what feedback decodes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { notificationIdFromTags, notificationIdTags, TAG_VALUE_MAX } from "../../../src/ses/message-tags.ts";
import { feedbackFromSesEvent, sesEventSchema } from "../../../src/ses/feedback-event.ts";

/** As SES reports a message's tags on an event: name -> [value]. */
const asReported = (tags: Record<string, string>) =>
  Object.fromEntries(Object.entries(tags).map(([name, value]) => [name, [value]]));

const SES_TAG = /^[A-Za-z0-9_-]{1,256}$/;

describe("notification id in SES message tags", () => {
  it.each([
    ["post.abc123", "post_abc123"],
    ["mention:42", "mention/42", "mention 42", "mention_42"],
  ])("ids SES's replacement made collide (%s) stay distinct and come back whole in feedback", (...ids) => {
    const names = ids.map((id) => {
      const bounce = sesEventSchema.parse({
        eventType: "Bounce",
        mail: { messageId: "m-1", tags: asReported(notificationIdTags(id)) },
        bounce: { bounceType: "Permanent", bouncedRecipients: [{ emailAddress: "a@example.net" }] },
      });
      return feedbackFromSesEvent(bounce)[0]!.notificationId;
    });
    expect(names).toEqual(ids);
  });

  it("keeps plain ids readable: post.abc123 is post_2Eabc123", () => {
    expect(notificationIdTags("post.abc123")).toEqual({ "notification-id": "post_2Eabc123" });
    expect(notificationIdTags("evt-42")).toEqual({ "notification-id": "evt-42" });
    expect(notificationIdTags("post_abc123")).toEqual({ "notification-id": "post_5Fabc123" });
  });

  it("round-trips any id of up to 256 characters in values SES accepts", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", minLength: 1, maxLength: 256 }), (id) => {
        const tags = notificationIdTags(id);
        for (const [name, value] of Object.entries(tags)) {
          expect(name).toMatch(SES_TAG);
          expect(value).toMatch(SES_TAG);
          expect(value.length).toBeLessThanOrEqual(TAG_VALUE_MAX);
        }
        expect(Object.keys(tags).length).toBeLessThanOrEqual(12);
        expect(notificationIdFromTags(asReported(tags))).toBe(id);
      }),
    );
  });

  it("names no id for a message without Herald's tag or with a value it did not encode", () => {
    expect(notificationIdFromTags({ id: ["post_abc123"] })).toBeUndefined();
    expect(notificationIdFromTags({ "notification-id": ["bad_zz"] })).toBeUndefined();
    expect(notificationIdFromTags({ "notification-id": ["_FF"] })).toBeUndefined();
  });
});
