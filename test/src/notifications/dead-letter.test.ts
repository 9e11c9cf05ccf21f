import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { deadLetterAttributes, sqsDeadLetterQueue } from "../../../src/notifications/dead-letter.ts";

const sqs = mockClient(SQSClient);
afterEach(() => sqs.reset());

describe("dead letters", () => {
  it("go to the queue with the original body and the reason as message attributes", async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: "1" });
    const queue = sqsDeadLetterQueue(new SQSClient({ region: "us-east-1" }), "https://sqs.example/dlq");
    await queue.send({
      body: '{"id":"n-1"}',
      reason: "550 5.1.1 user unknown",
      code: "EENVELOPE",
      sourceMessageId: "m-1",
      eventId: "n-1",
      responseCode: 550,
      stage: "rcpt",
    });
    const [call] = sqs.commandCalls(SendMessageCommand);
    expect(call?.args[0].input).toEqual({
      QueueUrl: "https://sqs.example/dlq",
      MessageBody: '{"id":"n-1"}',
      MessageAttributes: {
        Reason: { DataType: "String", StringValue: "550 5.1.1 user unknown" },
        ErrorCode: { DataType: "String", StringValue: "EENVELOPE" },
        SourceMessageId: { DataType: "String", StringValue: "m-1" },
        FailedAt: { DataType: "String", StringValue: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
        EventId: { DataType: "String", StringValue: "n-1" },
        ResponseCode: { DataType: "Number", StringValue: "550" },
        Stage: { DataType: "String", StringValue: "rcpt" },
      },
    });
  });

  it("throw when the queue refuses them (the caller reports a batch failure)", async () => {
    sqs.on(SendMessageCommand).rejects(new Error("AccessDenied"));
    const queue = sqsDeadLetterQueue(new SQSClient({ region: "us-east-1" }), "https://sqs.example/dlq");
    await expect(
      queue.send({ body: "{}", reason: "r", code: "EEVENT", sourceMessageId: "m" }),
    ).rejects.toThrow("AccessDenied");
  });

  it("keep attribute values to characters SQS accepts, and bounded", () => {
    const attributes = deadLetterAttributes({
      body: "{}",
      reason: `line one\r\nline two\u0000${"x".repeat(5000)}`,
      code: "EEVENT",
      sourceMessageId: "m",
    });
    const reason = attributes.Reason?.StringValue ?? "";
    expect(reason.startsWith("line one line two x")).toBe(true);
    expect(reason).not.toMatch(/\p{Cc}/u);
    expect(reason.length).toBeLessThanOrEqual(1024);
    expect(Object.keys(attributes).length).toBeLessThanOrEqual(10);
  });

  it("never carry a lone surrogate, which SQS refuses (an id or key escaped as \\ud800 in the JSON)", () => {
    const { id } = JSON.parse('{"id":"n-\\ud800"}') as { id: string };
    const attributes = deadLetterAttributes({
      body: "{}",
      // an emoji cut in half where the reason is shortened
      reason: `${"x".repeat(1022)}😀😀`,
      code: "EEVENT",
      sourceMessageId: "m",
      eventId: id,
    });
    for (const value of Object.values(attributes)) expect(value.StringValue?.isWellFormed()).toBe(true);
    expect(attributes.EventId?.StringValue).toBe("n-\ufffd");
  });
});
