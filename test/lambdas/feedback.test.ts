// The deployed export: middy + runtime + the operation, EventBridge mocked.
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, describe, expect, it, vi } from "vitest";
import { EVENT_BUS_NAME_ENV } from "../../src/constants.ts";
import { captureStdout } from "../helpers/capture-stdout.ts";

const ebMock = mockClient(EventBridgeClient);
afterAll(() => ebMock.restore());

const BOUNCE = {
  version: "0",
  id: "evt-1",
  "detail-type": "Email Bounced",
  source: "aws.ses",
  detail: {
    eventType: "Bounce",
    mail: { messageId: "m-1", destination: ["a@example.net"], tags: { "notification-id": ["notif-42"] } },
    bounce: { bounceType: "Permanent", bouncedRecipients: [{ emailAddress: "a@example.net" }] },
  },
};

describe("lambdas/feedback handler", () => {
  it("publishes on the bus named by HERALD_EVENT_BUS_NAME and emits its metric", async () => {
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] });
    vi.stubEnv(EVENT_BUS_NAME_ENV, "herald-bus");
    vi.resetModules();
    try {
      const { handler } = await import("../../lambdas/feedback.ts");
      const context = {
        functionName: "feedback",
        awsRequestId: "r-1",
        getRemainingTimeInMillis: () => 10_000,
      } as unknown as Context;
      const { result, output } = await captureStdout(() => handler(BOUNCE, context));
      expect(result).toEqual({ eventType: "Bounce", recipients: 1, published: 1 });
      expect(ebMock.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries?.[0]?.EventBusName).toBe(
        "herald-bus",
      );
      expect(output).toMatch(/"Bounces":1/);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
