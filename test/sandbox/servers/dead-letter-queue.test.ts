// The sandbox's dead-letter queue takes what the pipeline's own SQS dead-letter code sends,
// through the SDK's client, and refuses what it does not implement.
import { GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  startDeadLetterQueue,
  type LocalDeadLetterQueue,
} from "../../../sandbox/servers/dead-letter-queue.ts";
import { sqsDeadLetterQueue } from "../../../src/notifications/dead-letter.ts";

let queue: LocalDeadLetterQueue;
let client: SQSClient;
beforeEach(async () => {
  queue = await startDeadLetterQueue({ queueName: "dead" });
  client = new SQSClient({
    endpoint: queue.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
});
afterEach(async () => {
  client.destroy();
  await queue.close();
});

describe("the sandbox's dead-letter queue", () => {
  it("keeps each letter with its body and attributes", async () => {
    const body = JSON.stringify({ id: "n-1", to: ["nobody@example.com"], subject: "s", text: "t" });
    await sqsDeadLetterQueue(client, queue.queueUrl).send({
      body,
      reason: "550 5.1.1 User unknown",
      code: "EENVELOPE",
      sourceMessageId: "m-1",
      eventId: "n-1",
      responseCode: 550,
      stage: "rcpt",
    });
    expect(queue.queueUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/000000000000\/dead$/);
    expect(queue.letters).toHaveLength(1);
    expect(queue.letters[0]).toMatchObject({
      body,
      attributes: {
        Reason: "550 5.1.1 User unknown",
        ErrorCode: "EENVELOPE",
        SourceMessageId: "m-1",
        EventId: "n-1",
        ResponseCode: "550",
        Stage: "rcpt",
      },
    });
  });

  it("refuses another queue and other operations", async () => {
    const letter = { body: "{}", reason: "r", code: "EEVENT", sourceMessageId: "m" };
    await expect(
      sqsDeadLetterQueue(client, `${queue.endpoint}/000000000000/other`).send(letter),
    ).rejects.toMatchObject({
      name: "QueueDoesNotExist",
    });
    await expect(client.send(new GetQueueUrlCommand({ QueueName: "dead" }))).rejects.toMatchObject({
      name: "UnsupportedOperation",
    });
    expect(queue.letters).toHaveLength(0);
  });
});
