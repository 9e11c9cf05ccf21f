/**
 * A loopback stand-in for one SQS queue that only takes SendMessage: the sandbox's
 * dead-letter queue. The send-notification code path runs unchanged against it (the SDK's
 * SQS client, reached through AWS_ENDPOINT_URL_SQS, AWS JSON 1.0 protocol), and every
 * letter is kept with its message attributes (Reason, ErrorCode, ...) for the summary and
 * the mail page.
 *
 * Written here because no maintained SQS emulator runs in Node without Java or Docker;
 * SendMessage is the one call the pipeline makes. Anything else is answered with an error.
 */
import { createHash, randomUUID } from "node:crypto";
import http from "node:http";
import type { Socket } from "node:net";
import { LOOPBACK, listenOnLoopback } from "./listen.ts";

export interface DeadLetterRecord {
  messageId: string;
  receivedAt: Date;
  /** the failed record's body, unchanged */
  body: string;
  /** string and number attributes by name (Reason, ErrorCode, ResponseCode, EventId, ...) */
  attributes: Record<string, string>;
}

export interface LocalDeadLetterQueue {
  /** the endpoint for AWS_ENDPOINT_URL_SQS */
  endpoint: string;
  /** the queue URL for HERALD_DEAD_LETTER_QUEUE_URL */
  queueUrl: string;
  port: number;
  letters: DeadLetterRecord[];
  close(): Promise<void>;
}

export interface DeadLetterQueueOptions {
  /** 127.0.0.1 port; 0 picks a free one. @default 0 */
  port?: number;
  /** @default "herald-dead-letters" */
  queueName?: string;
}

/** The largest request taken: SQS's own message limit (1 MiB) with room for the JSON around it. */
const MAX_REQUEST_BYTES = 2 * 1024 * 1024;
const JSON_TYPE = "application/x-amz-json-1.0";

interface SendMessageInput {
  QueueUrl?: unknown;
  MessageBody?: unknown;
  MessageAttributes?: Record<string, { DataType?: string; StringValue?: string }>;
}

export async function startDeadLetterQueue(
  options: DeadLetterQueueOptions = {},
): Promise<LocalDeadLetterQueue> {
  const letters: DeadLetterRecord[] = [];
  const sockets = new Set<Socket>();
  const queueName = options.queueName ?? "herald-dead-letters";
  let queueUrl = "";

  const answer = (response: http.ServerResponse, status: number, body: object) => {
    const text = JSON.stringify(body);
    response.writeHead(status, { "content-type": JSON_TYPE, "content-length": Buffer.byteLength(text) });
    response.end(text);
  };
  const fault = (response: http.ServerResponse, type: string, message: string) =>
    answer(response, 400, { __type: `com.amazonaws.sqs#${type}`, message });

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) request.destroy();
      else chunks.push(chunk);
    });
    request.on("end", () => {
      const target = request.headers["x-amz-target"];
      if (request.method !== "POST" || target !== "AmazonSQS.SendMessage") {
        return fault(
          response,
          "UnsupportedOperation",
          `this local queue only takes SendMessage, not ${String(target)}`,
        );
      }
      let input: SendMessageInput;
      try {
        input = JSON.parse(Buffer.concat(chunks).toString("utf8")) as SendMessageInput;
      } catch {
        return fault(response, "InvalidParameterValue", "the request is not JSON");
      }
      // The queue is named by its path (account and name): a client may reach it through
      // another host or port, e.g. the fault tests' proxy.
      if (queuePath(input.QueueUrl) !== new URL(queueUrl).pathname) {
        return fault(
          response,
          "QueueDoesNotExist",
          `no queue ${String(input.QueueUrl)}; this one is ${queueUrl}`,
        );
      }
      if (typeof input.MessageBody !== "string" || input.MessageBody === "") {
        return fault(response, "MissingParameter", "MessageBody is required");
      }
      const attributes: Record<string, string> = {};
      for (const [name, value] of Object.entries(input.MessageAttributes ?? {})) {
        if (typeof value.StringValue === "string") attributes[name] = value.StringValue;
      }
      const messageId = randomUUID();
      letters.push({ messageId, receivedAt: new Date(), body: input.MessageBody, attributes });
      answer(response, 200, {
        MessageId: messageId,
        // the SDK checks it against the body it sent
        MD5OfMessageBody: createHash("md5").update(input.MessageBody, "utf8").digest("hex"),
      });
    });
  });
  server.on("clientError", (_error, socket) => socket.destroy());
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  const port = await listenOnLoopback(server, options.port ?? 0);
  const endpoint = `http://${LOOPBACK}:${port}`;
  queueUrl = `${endpoint}/000000000000/${queueName}`;

  let closing: Promise<void> | undefined;
  return {
    endpoint,
    queueUrl,
    port,
    letters,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

function queuePath(url: unknown): string | undefined {
  try {
    return new URL(String(url)).pathname;
  } catch {
    return undefined;
  }
}
