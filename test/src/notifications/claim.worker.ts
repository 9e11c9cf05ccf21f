// One `herald send`-shaped processor (no invocation deadline: the claim lasts the CLI's
// default lease) in a process of its own, for the claim test. Its clock runs CLOCK_OFFSET_MS
// ahead (how a second run sees the first one's claim once that lease has passed), and its
// rate-limit wait is a barrier: it tells the parent "waiting" and goes on at "go".
// It processes RACE_EVENT, then sends its outcome to the parent and exits.
import { createRuntime } from "../../../src/runtime.ts";
import { dynamoDbPersistence } from "../../../src/notifications/idempotency.ts";
import { createNotificationProcessor } from "../../../src/notifications/process.ts";
import type { RateLimiter } from "../../../src/notifications/rate-limiter.ts";
import { ALL_AWS_CLIENTS } from "../../../src/aws-clients.ts";

const offset = Number(process.env.CLOCK_OFFSET_MS ?? "0");
const realNow = Date.now.bind(Date);
Date.now = () => realNow() + offset;

const send = (message: unknown) => new Promise<void>((resolve) => process.send!(message, () => resolve()));
const go = new Promise<void>((resolve) => process.on("message", (m) => m === "go" && resolve()));

const rateLimiter: RateLimiter = {
  perSecond: 1,
  async acquire() {
    if (process.env.HOLD_AT_RATE_LIMIT !== "true") return;
    await send("waiting");
    await go;
  },
};

const runtime = createRuntime({
  serviceName: "herald-claim-worker",
  env: process.env,
  clients: ALL_AWS_CLIENTS,
});
const { settings } = await runtime.loadSettings();
const processor = createNotificationProcessor({
  settings,
  transport: () => runtime.transport(settings),
  persistence: dynamoDbPersistence(runtime.dynamodb(), process.env.HERALD_TABLE_NAME ?? ""),
  rateLimiter,
  logger: { info() {}, warn() {}, error() {} },
  metrics: { addMetric: () => undefined },
});
const outcome = await processor.process({ messageId: "m1", body: process.env.RACE_EVENT ?? "{}" });
await runtime.close();
await send({ outcome });
process.disconnect();
