/**
 * An SQS queue with a Lambda event source mapping, as far as delivery guarantees go: batches
 * of up to 10 visible messages go to warm worker processes (the real handler); a received
 * message stays invisible for the visibility timeout; records the handler acknowledges are
 * deleted, the others (batchItemFailures, a killed or timed-out invocation) come back when
 * their visibility timeout ends; after `maxReceiveCount` receives the redrive policy moves
 * them to the dead-letter list (without a reason, as SQS does).
 */
import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { MAX_RECEIVE_COUNT } from "../../src/constants.ts";

interface QueuedMessage {
  messageId: string;
  body: string;
  receiveCount: number;
  visibleAt: number;
}

export interface SimulatorOptions {
  /** the workers' environment */
  env: NodeJS.ProcessEnv;
  /** concurrent containers. @default 2 */
  containers?: number;
  functionTimeoutMs: number;
  visibilityTimeoutMs: number;
  /** @default MAX_RECEIVE_COUNT */
  maxReceiveCount?: number;
  /**
   * asked at each invocation: kill -9 its container when this barrier is met, if the
   * invocation is still running then (undefined: never)
   */
  killWhen?: () => Promise<void> | undefined;
  /** deliver each batch to two containers at once (SQS's at-least-once delivery) */
  deliverTwice?: boolean;
  /** called with each line a worker prints (its JSON logs) */
  onLog?: (line: string) => void;
  /** ends the run early: every container is killed, the messages left stay unsettled */
  signal?: AbortSignal;
  /** called when an invocation has ended: returned, or killed (by a fault or its timeout) */
  onInvocationEnd?: (ended: { returned: boolean }) => void;
}

export interface SimulatorResult {
  invocations: number;
  /** killed by `killWhen` */
  killed: number;
  /** killed at the function's timeout (the handler did not return in time) */
  timedOut: number;
  /** bodies the redrive policy moved on (no reason) */
  redriven: string[];
}

interface Container {
  child: ChildProcess;
}

const worker = new URL("./worker.ts", import.meta.url).pathname;

export async function runQueue(bodies: string[], options: SimulatorOptions): Promise<SimulatorResult> {
  const maxReceiveCount = options.maxReceiveCount ?? MAX_RECEIVE_COUNT;
  const queue: QueuedMessage[] = bodies.map((body) => ({
    messageId: randomUUID(),
    body,
    receiveCount: 0,
    visibleAt: 0,
  }));
  const result: SimulatorResult = { invocations: 0, killed: 0, timedOut: 0, redriven: [] };
  let invocation = 0;

  const start = (): Promise<Container> =>
    new Promise((resolve, reject) => {
      const child = fork(worker, [], { env: options.env, stdio: ["ignore", "pipe", "pipe", "ipc"] });
      // Powertools writes warnings and errors to stderr, the rest to stdout
      for (const stream of [child.stdout, child.stderr]) {
        let buffer = "";
        stream?.on("data", (chunk: Buffer) => {
          buffer += chunk.toString("utf8");
          const lines = buffer.split("\n");
          buffer = lines.pop() ?? "";
          for (const line of lines) options.onLog?.(line);
        });
      }
      child.once("error", reject);
      // a worker that dies before it is ready (an import error) must not hang the run
      child.once("exit", (code, signal) =>
        reject(new Error(`worker exited before it was ready (${code ?? signal})`)),
      );
      child.once("message", () => resolve({ child }));
    });

  const invoke = (container: Container, batch: QueuedMessage[]): Promise<SQSBatchResponse | undefined> =>
    new Promise((resolve) => {
      const id = ++invocation;
      result.invocations += 1;
      const event: SQSEvent = {
        Records: batch.map((m) => ({
          messageId: m.messageId,
          receiptHandle: m.messageId,
          body: m.body,
          attributes: {
            ApproximateReceiveCount: String(m.receiveCount),
            SentTimestamp: "0",
            SenderId: "herald",
            ApproximateFirstReceiveTimestamp: "0",
          },
          messageAttributes: {},
          md5OfBody: "",
          eventSource: "aws:sqs",
          eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:herald-notifications",
          awsRegion: "us-east-1",
        })),
      };
      let ended = false;
      const done = (response: SQSBatchResponse | undefined) => {
        ended = true;
        clearTimeout(timeout);
        container.child.off("message", onMessage);
        container.child.off("exit", onExit);
        options.onInvocationEnd?.({ returned: response !== undefined });
        resolve(response);
      };
      const onMessage = (message: { invocation?: number; response?: SQSBatchResponse }) => {
        if (message.invocation === id) done(message.response);
      };
      const onExit = () => done(undefined);
      container.child.on("message", onMessage);
      container.child.once("exit", onExit);
      // Lambda ends an invocation at its timeout; the container goes with it
      const timeout = setTimeout(() => {
        result.timedOut += 1;
        container.child.kill("SIGKILL");
      }, options.functionTimeoutMs);
      void options.killWhen?.()?.then(() => {
        if (ended) return;
        result.killed += 1;
        container.child.kill("SIGKILL");
      });
      container.child.send({ invocation: id, event, remainingMs: options.functionTimeoutMs });
    });

  const containers = await Promise.all(Array.from({ length: options.containers ?? 2 }, start));
  const settle = (batch: QueuedMessage[], response: SQSBatchResponse | undefined) => {
    const failed = new Set(
      response ? response.batchItemFailures.map((f) => f.itemIdentifier) : batch.map((m) => m.messageId),
    );
    for (const message of batch) {
      const index = queue.indexOf(message);
      if (index < 0) continue;
      if (!failed.has(message.messageId)) {
        queue.splice(index, 1);
      } else if (message.receiveCount >= maxReceiveCount) {
        queue.splice(index, 1);
        result.redriven.push(message.body);
      }
      // otherwise it stays invisible until its visibility timeout ends
    }
  };

  const take = (): QueuedMessage[] => {
    const now = Date.now();
    const batch = queue.filter((m) => m.visibleAt <= now).slice(0, 10);
    for (const message of batch) {
      message.receiveCount += 1;
      message.visibleAt = now + options.visibilityTimeoutMs;
    }
    return batch;
  };

  // A loop with nothing visible waits until the next message becomes visible, or until
  // another loop settles a batch (its messages may be gone, or the queue empty).
  const wakers = new Set<() => void>();
  const wakeAll = () => {
    for (const wake of wakers) wake();
    wakers.clear();
  };
  const untilVisibleOrSettled = () =>
    new Promise<void>((resolve) => {
      const next = Math.min(...queue.map((m) => m.visibleAt));
      const timer = setTimeout(() => wake(), Math.max(next - Date.now(), 0));
      const wake = () => {
        clearTimeout(timer);
        wakers.delete(wake);
        resolve();
      };
      wakers.add(wake);
    });

  options.signal?.addEventListener("abort", () => {
    for (const container of containers) container.child.kill("SIGKILL");
    wakeAll();
  });
  const loop = async (index: number): Promise<void> => {
    for (;;) {
      if (queue.length === 0 || options.signal?.aborted) return;
      // A killed container is replaced before the next receive: its start (Lambda's init
      // phase) does not eat into the messages' visibility timeout.
      const dead = (c: Container) => c.child.exitCode !== null || c.child.signalCode !== null;
      if (dead(containers[index]!)) containers[index] = await start();
      if (options.deliverTwice && dead(containers[index + 1]!)) containers[index + 1] = await start();
      const batch = take();
      if (batch.length === 0) {
        await untilVisibleOrSettled();
        continue;
      }
      const runs = [invoke(containers[index]!, batch)];
      // delivering twice: the same messages reach a second container at the same moment
      if (options.deliverTwice) runs.push(invoke(containers[index + 1]!, batch));
      const responses = await Promise.all(runs);
      // a record counts as acknowledged when either invocation acknowledged it
      const acknowledged = new Set<string>();
      for (const response of responses) {
        if (!response) continue;
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        for (const m of batch) if (!failed.has(m.messageId)) acknowledged.add(m.messageId);
      }
      settle(batch, {
        batchItemFailures: batch
          .filter((m) => !acknowledged.has(m.messageId))
          .map((m) => ({ itemIdentifier: m.messageId })),
      });
      wakeAll();
    }
  };

  try {
    // delivering twice: one loop drives both containers
    await Promise.all(options.deliverTwice ? [loop(0)] : containers.map((_, index) => loop(index)));
  } finally {
    for (const container of containers) container.child.kill("SIGKILL");
  }
  return result;
}
