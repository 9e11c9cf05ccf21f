// An SES Bounce (or Complaint) record without its bounce (complaint) object reports nobody:
// that is worth a warning with the reason, not an info line about an ignored event type.
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { expect, it } from "vitest";
import { handleSesFeedback, type SesFeedbackDeps } from "../../../src/operations/ses-feedback.ts";

function run(detail: object) {
  const logs: Array<{ level: string; message: string; attributes: Record<string, unknown> }> = [];
  const log =
    (level: string) =>
    (message: string, attributes: Record<string, unknown> = {}) =>
      logs.push({ level, message, attributes });
  const summary = handleSesFeedback(
    { version: "0", id: "evt-1", "detail-type": "Email Bounced", source: "aws.ses", detail },
    {
      eventBridge: new EventBridgeClient({ region: "eu-west-1" }),
      logger: { info: log("info"), warn: log("warn") } as unknown as SesFeedbackDeps["logger"],
      metrics: { addMetric: () => undefined } as unknown as SesFeedbackDeps["metrics"],
    },
  );
  return { summary, logs };
}

const mail = {
  timestamp: "2026-11-23T10:00:00.000Z",
  source: "notifications@example.com",
  messageId: "0102018c-ses-message-id",
  destination: ["a@example.net"],
  tags: { id: ["notif-42"] },
};

it.each(["Bounce", "Complaint"])(
  "warns, naming the missing object, for a %s event without it",
  async (eventType) => {
    const { summary, logs } = run({ eventType, mail });
    expect(await summary).toMatchObject({ recipients: 0, published: 0 });
    const field = eventType.toLowerCase();
    expect(logs).toEqual([
      expect.objectContaining({
        level: "warn",
        attributes: expect.objectContaining({
          event: "feedback.incomplete",
          eventType,
          reason: `the "${field}" object is missing: no recipient to report`,
        }),
      }),
    ]);
  },
);

it("still notes an event type Herald does not handle at info level", async () => {
  const { summary, logs } = run({ eventType: "Open", mail });
  await summary;
  expect(logs).toEqual([
    expect.objectContaining({
      level: "info",
      attributes: expect.objectContaining({ event: "feedback.ignored" }),
    }),
  ]);
});
