// `herald send` against the shared table: an id waiting for the rate limit must not hold a
// claim that can expire meanwhile (the CLI's lease is 60 s, with no invocation deadline),
// or a second run takes the id over and both send it. Two processes, one SMTP server, one
// table; the first waits at a barrier in its rate limit while the second, whose clock is
// past the first's lease, sends the same id.
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startDynalite, type TestDynamo } from "../../../sandbox/servers/dynalite.ts";
import { startSmtpServer, type TestSmtpServer } from "../../helpers/smtp-servers.ts";
import { notification, smtpEnv } from "../../lambdas/send-notification.fixtures.ts";

let dynamo: TestDynamo;
let smtp: TestSmtpServer;

beforeAll(async () => {
  [dynamo, smtp] = await Promise.all([startDynalite(), startSmtpServer()]);
});

afterAll(async () => {
  await Promise.all([dynamo.close(), smtp.close()]);
});

const worker = fileURLToPath(new URL("./claim.worker.ts", import.meta.url));

interface Worker {
  child: ChildProcess;
  /** resolves when the worker waits at its rate limit */
  waiting: Promise<void>;
  outcome: Promise<{ kind: string }>;
}

function startWorker(env: Record<string, string>): Worker {
  const child = fork(worker, [], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  let markWaiting!: () => void;
  const waiting = new Promise<void>((resolve) => (markWaiting = resolve));
  const outcome = new Promise<{ kind: string }>((resolve, reject) => {
    child.on("message", (message) => {
      if (message === "waiting") markWaiting();
      else resolve((message as { outcome: { kind: string } }).outcome);
    });
    child.on("exit", (code) => reject(new Error(`claim worker exited ${code}: ${stderr}`)));
  });
  return { child, waiting, outcome };
}

it("sends an id once when a second run sends it while the first waits for the rate limit past its claim's lease", async () => {
  const table = await dynamo.createTable();
  const env = {
    ...smtpEnv(smtp.port),
    ...dynamo.env(table),
    HERALD_DEAD_LETTER_QUEUE_URL: "",
    RACE_EVENT: JSON.stringify(notification("cli-claim-1")),
  };
  const first = startWorker({ ...env, HOLD_AT_RATE_LIMIT: "true" });
  await first.waiting;
  // the second run's clock is past the first one's 60 s lease
  const second = startWorker({ ...env, CLOCK_OFFSET_MS: String(61_000) });
  expect(await second.outcome).toMatchObject({ kind: "sent" });
  first.child.send("go");
  expect(await first.outcome).toMatchObject({ kind: "duplicate" });
  expect(smtp.messages.flatMap((m) => m.to)).toEqual(["bob@example.com"]);
});
