// SES feedback records, in the shape SES publishes them to EventBridge, through the operation
// (EventBridge mocked: no local server for it).
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { handleSesFeedback } from "../../../src/operations/ses-feedback.ts";
import { captureStdout } from "../../helpers/capture-stdout.ts";

const ebMock = mockClient(EventBridgeClient);
afterAll(() => ebMock.restore());
beforeEach(() => {
  ebMock.reset();
  ebMock.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map((_, i) => ({ EventId: `e-${i}` })),
  }));
});

const mail = (tags: Record<string, string[]> = {}) => ({
  timestamp: "2026-11-23T10:00:00.000Z",
  source: "notifications@example.com",
  messageId: "0102018c-ses-message-id",
  destination: ["a@example.net", "b@example.net"],
  commonHeaders: { messageId: "<4f1c@chat.example.com>", subject: "[Herald] hello" },
  tags: {
    "ses:configuration-set": ["herald"],
    "notification-id": ["notif-42"],
    category: ["mention"],
    ...tags,
  },
});

/** What SES puts on the default bus (detail = the event publishing record). */
function bridged(detailType: string, detail: object) {
  return { version: "0", id: "evt-1", "detail-type": detailType, source: "aws.ses", detail };
}

const BOUNCE = bridged("Email Bounced", {
  eventType: "Bounce",
  mail: mail(),
  bounce: {
    bounceType: "Permanent",
    bounceSubType: "General",
    bouncedRecipients: [
      {
        emailAddress: "a@example.net",
        action: "failed",
        status: "5.1.1",
        diagnosticCode: "smtp; 550 5.1.1 user unknown",
      },
    ],
    timestamp: "2026-11-23T10:00:01.000Z",
    feedbackId: "fb-1",
  },
});

function deps(eventBusName?: string) {
  const metrics = new Metrics({ namespace: "Herald", serviceName: "herald-feedback" });
  return {
    eventBridge: new EventBridgeClient({ region: "eu-west-1" }),
    eventBusName,
    logger: new Logger({ serviceName: "herald-feedback" }),
    metrics,
  };
}

function published() {
  return ebMock.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
}

describe("handleSesFeedback", () => {
  it("publishes a hard bounce with the recipient, the bounce type and the notification id", async () => {
    const d = deps("herald-bus");
    const { result, output } = await captureStdout(async () => {
      const summary = await handleSesFeedback(BOUNCE, d);
      d.metrics.publishStoredMetrics();
      return summary;
    });
    expect(result).toEqual({ eventType: "Bounce", recipients: 1, published: 1 });
    const [entry] = published();
    expect(entry).toMatchObject({
      Source: "herald",
      DetailType: "NotificationFeedback",
      EventBusName: "herald-bus",
    });
    expect(JSON.parse(entry!.Detail!)).toEqual({
      feedbackId: expect.stringMatching(/^[\w-]{32}$/),
      type: "bounce",
      recipient: "a@example.net",
      notificationId: "notif-42",
      category: "mention",
      permanent: true,
      bounceType: "Permanent",
      bounceSubType: "General",
      diagnosticCode: "smtp; 550 5.1.1 user unknown",
      status: "5.1.1",
      sesMessageId: "0102018c-ses-message-id",
      messageId: "<4f1c@chat.example.com>",
      timestamp: "2026-11-23T10:00:01.000Z",
    });
    expect(output).toContain('"event":"feedback.bounce"');
    expect(output).toContain('"eventTimestamp":"2026-11-23T10:00:01.000Z"');
    const emf = output
      .split("\n")
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(emf.find((line) => "Bounces" in line)).toMatchObject({ Bounces: 1, service: "herald-feedback" });
    // per category, with the bounce type/subtype as a dimension
    expect(emf.find((line) => "BouncesByCategory" in line)).toMatchObject({
      BouncesByCategory: 1,
      BounceCategory: "Permanent/General",
    });
  });

  it.each([
    [
      "a complaint (permanent)",
      bridged("Email Complaint Received", {
        eventType: "Complaint",
        mail: mail(),
        complaint: {
          complainedRecipients: [{ emailAddress: "b@example.net" }],
          complaintFeedbackType: "abuse",
          feedbackId: "f",
        },
      }),
      [{ type: "complaint", recipient: "b@example.net", permanent: true, complaintType: "abuse" }],
    ],
    [
      "a transient bounce (not permanent)",
      bridged("Email Bounced", {
        eventType: "Bounce",
        mail: mail(),
        bounce: {
          bounceType: "Transient",
          bounceSubType: "MailboxFull",
          bouncedRecipients: [{ emailAddress: "a@example.net" }],
        },
      }),
      [{ type: "bounce", recipient: "a@example.net", permanent: false, bounceType: "Transient" }],
    ],
    [
      "a delivery to two recipients",
      bridged("Email Delivered", {
        eventType: "Delivery",
        mail: mail(),
        delivery: { recipients: ["a@example.net", "b@example.net"], processingTimeMillis: 500 },
      }),
      [
        { type: "delivery", recipient: "a@example.net", permanent: false },
        { type: "delivery", recipient: "b@example.net", permanent: false },
      ],
    ],
    [
      "a reject, for every destination",
      bridged("Email Rejected", { eventType: "Reject", mail: mail(), reject: { reason: "Bad content" } }),
      [
        { type: "reject", recipient: "a@example.net", reason: "Bad content" },
        { type: "reject", recipient: "b@example.net", reason: "Bad content" },
      ],
    ],
    [
      "a delivery delay",
      bridged("Email Delivery Delayed", {
        eventType: "DeliveryDelay",
        mail: mail(),
        deliveryDelay: {
          delayType: "MailboxFull",
          delayedRecipients: [{ emailAddress: "a@example.net", status: "4.2.2" }],
        },
      }),
      [{ type: "deliveryDelay", recipient: "a@example.net", delayType: "MailboxFull", status: "4.2.2" }],
    ],
  ])("publishes %s", async (_name, event, expected) => {
    const { result } = await captureStdout(() => handleSesFeedback(event, deps()));
    expect(result.published).toBe(expected.length);
    const details = published().map((e) => JSON.parse(e.Detail!) as object);
    expect(details).toEqual(
      expected.map((e) => expect.objectContaining({ ...e, notificationId: "notif-42" })),
    );
    expect(published().every((e) => e.EventBusName === undefined)).toBe(true); // default bus
  });

  it("omits the notification id when the message had no tag for it", async () => {
    const untagged = {
      ...BOUNCE,
      detail: { ...BOUNCE.detail, mail: { ...mail(), tags: { "ses:configuration-set": ["herald"] } } },
    };
    await captureStdout(() => handleSesFeedback(untagged, deps()));
    const detail = JSON.parse(published()[0]!.Detail!) as Record<string, unknown>;
    expect(detail).not.toHaveProperty("notificationId");
    expect(detail.messageId).toBe("<4f1c@chat.example.com>");
  });

  it("publishes in batches of ten", async () => {
    const many = bridged("Email Delivered", {
      eventType: "Delivery",
      mail: mail(),
      delivery: { recipients: Array.from({ length: 23 }, (_, i) => `r${i}@example.net`) },
    });
    const { result } = await captureStdout(() => handleSesFeedback(many, deps()));
    expect(result.published).toBe(23);
    expect(ebMock.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.length)).toEqual([
      10, 10, 3,
    ]);
  });

  it("ignores event types it does not handle, and records that are not SES events, without retrying", async () => {
    const open = bridged("Email Opened", { eventType: "Open", mail: mail(), open: {} });
    const { result: ignored } = await captureStdout(() => handleSesFeedback(open, deps()));
    expect(ignored).toMatchObject({ recipients: 0, published: 0, ignored: "event type Open" });
    const warn = vi.fn();
    const invalid = await handleSesFeedback(
      { detail: { hello: 1 } },
      { ...deps(), logger: { info: vi.fn(), warn } },
    );
    expect(invalid.ignored).toMatch(/invalid SES event \(eventType: /);
    expect(warn).toHaveBeenCalledWith(
      "not an SES event record",
      expect.objectContaining({ event: "feedback.invalid" }),
    );
    expect(ebMock.calls()).toHaveLength(0);
  });

  it("counts nothing when publishing fails: the retried invocation counts the event once", async () => {
    // Powertools' logMetrics flushes stored metrics on error too: a count added before the
    // failed publish would be emitted by this attempt and again by the retry.
    ebMock
      .on(PutEventsCommand)
      .rejects(Object.assign(new Error("unavailable"), { name: "InternalException" }));
    const d = deps();
    await expect(captureStdout(() => handleSesFeedback(BOUNCE, d))).rejects.toThrow();
    expect(d.metrics.hasStoredMetrics()).toBe(false);
  });

  it("throws when EventBridge refuses entries, so that Lambda retries", async () => {
    ebMock
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: "ThrottlingException" }] });
    await expect(captureStdout(() => handleSesFeedback(BOUNCE, deps()))).rejects.toMatchObject({
      code: "EPUBLISH",
      message: expect.stringContaining("ThrottlingException"),
    });
  });
});

describe("handleSesFeedback retried after a later chunk failed", () => {
  const many = bridged("Email Delivered", {
    eventType: "Delivery",
    mail: mail(),
    delivery: {
      recipients: Array.from({ length: 23 }, (_, i) => `r${i}@example.net`),
      timestamp: "2026-11-23T10:00:02.000Z",
    },
  });
  const ids = (entries: { Detail?: string }[]) =>
    entries.map((e) => (JSON.parse(e.Detail!) as { feedbackId?: string }).feedbackId);

  it("republishes the first chunk with the same feedbackIds, so consumers drop the copies", async () => {
    let call = 0;
    ebMock.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => {
      call += 1;
      if (call === 2) throw Object.assign(new Error("unavailable"), { name: "InternalException" });
      return { FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `e-${i}` })) };
    });
    await expect(captureStdout(() => handleSesFeedback(many, deps()))).rejects.toThrow();
    const firstAttempt = published();
    await captureStdout(() => handleSesFeedback(many, deps())); // Lambda's retry
    const retry = published().slice(firstAttempt.length);
    const firstIds = ids(firstAttempt.slice(0, 10));
    expect(firstIds.every((id) => typeof id === "string" && id.length > 0)).toBe(true);
    expect(ids(retry.slice(0, 10))).toEqual(firstIds);
    // one id per recipient of this event: 23 distinct among the 33 + 10 entries published
    expect(new Set(ids(published())).size).toBe(23);
  });

  it("gives another SES event for the same recipient another feedbackId", async () => {
    const delayed = bridged("Email Delivery Delayed", {
      eventType: "DeliveryDelay",
      mail: mail(),
      deliveryDelay: {
        delayType: "MailboxFull",
        delayedRecipients: [{ emailAddress: "r0@example.net" }],
        timestamp: "2026-11-23T10:00:01.000Z",
      },
    });
    await captureStdout(() => handleSesFeedback(delayed, deps()));
    await captureStdout(() => handleSesFeedback(many, deps()));
    const all = ids(published());
    expect(all[0]).not.toBe(all[1]);
  });
});
