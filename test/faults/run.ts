// Fault tests of the send path (`npm run test:faults`; not part of `npm test`).
//
// Each scenario runs the REAL send-notification handler in worker processes fed by an SQS
// simulator (visibility timeout honoured, redrive after MAX_RECEIVE_COUNT receives), against
// local servers: smtp-server with fault hooks (sandbox/servers/smtp.ts), aws-ses-v2-local
// behind a proxy that can answer 500 after storing, dynalite in a process of its own (behind
// a TCP proxy that can go down), and the sandbox's dead-letter queue (behind one too).
//
// Counted per (notification, recipient): accepted by a server, duplicates (accepted more than
// once), unknown outcomes (the handler's own `notification.unknown-outcome` logs), lost
// (neither accepted nor dead-lettered, with a reason or by the redrive policy), dead-lettered.
// Exit 1 when a scenario breaks its promise: a lost recipient anywhere; a duplicate in the
// slow-DATA, partial-recipient and two-invocation scenarios or with at-most-once; elsewhere,
// a duplicate of a notification whose outcome was not counted as unknown.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { startDeadLetterQueue } from "../../sandbox/servers/dead-letter-queue.ts";
import { startLocalSes } from "../../sandbox/servers/ses.ts";
import { startSmtpServer, type SmtpServerOptions } from "../../sandbox/servers/smtp.ts";
import { smtpEnv } from "../lambdas/send-notification.fixtures.ts";
import { startSesFaultProxy, startTcpProxy, type TcpProxy } from "./proxies.ts";
import { runQueue, type SimulatorOptions } from "./sqs-simulator.ts";
import { seededRandom } from "../helpers/seeded-random.ts";

/** mulberry32: a seeded generator, so a failing run can be repeated (FAULTS_SEED). */
const seed = Number(process.env.FAULTS_SEED ?? Date.now() % 100_000);
const rand = seededRandom(seed);

/** SMTPServerTimeout 1 s: a send's bound is 4 s; the function's timeout leaves it room. */
const SMTP_FUNCTION_TIMEOUT_MS = 8_000;
/** the SES client's 10 s bound */
const SES_FUNCTION_TIMEOUT_MS = 16_000;

interface Scenario {
  name: string;
  events: number;
  recipients?: number;
  transport?: "smtp" | "ses-api";
  policy?: "at-least-once" | "at-most-once";
  /** no duplicate at all is promised */
  noDuplicates?: boolean;
  /** SMTPServerTimeout in seconds. @default 1 */
  stageSeconds?: number;
  smtp?: (recipientOf: (id: string) => void) => Partial<SmtpServerOptions>;
  simulator?: Partial<SimulatorOptions>;
  sesFailAfterStore?: () => boolean;
  /** recipients a server refuses for good (dead-lettered with their reason) */
  goneRecipient?: (index: number) => boolean;
  /** time-driven faults of the store and the dead-letter queue */
  faults?: (f: { dynaliteProcess: ChildProcess; table: TcpProxy; dlq: TcpProxy }) => () => void;
}

const pick = (share: number) => () => rand() < share;
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const SCENARIOS: Scenario[] = [
  {
    name: "kill -9 mid-batch (30% of invocations)",
    events: 40,
    smtp: () => ({ afterData: () => 100 }),
    simulator: { killAfterMs: () => (rand() < 0.3 ? 50 + rand() * 600 : undefined) },
  },
  {
    name: "connection reset after the final dot (20%)",
    events: 30,
    smtp: () => ({ afterData: () => (rand() < 0.2 ? "reset" : undefined) }),
  },
  {
    name: "connection reset after the final dot, at-most-once",
    events: 30,
    policy: "at-most-once",
    noDuplicates: true,
    smtp: () => ({ afterData: () => (rand() < 0.2 ? "reset" : undefined) }),
  },
  {
    name: "slow DATA reply near the deadline (30%, 1.2 s of a 2 s stage)",
    events: 30,
    noDuplicates: true,
    stageSeconds: 2,
    smtp: () => ({ afterData: () => (rand() < 0.3 ? 1200 : undefined) }),
  },
  {
    name: "partial 4xx recipients (3 each; 6% 451, 4% 452)",
    events: 30,
    recipients: 3,
    noDuplicates: true,
    smtp: () => ({
      recipientReply: () => {
        const r = rand();
        if (r < 0.06) return { code: 451, message: "4.3.0 Temporary failure, try again later" };
        if (r < 0.1) return { code: 452, message: "4.2.2 Mailbox full, try again later" };
        return undefined;
      },
    }),
  },
  {
    name: "table hung (SIGSTOP 4 s), then down (3 s)",
    events: 30,
    smtp: () => ({ afterData: () => 150 }),
    faults: ({ dynaliteProcess, table }) => {
      let stopped = false;
      const run = (async () => {
        await delay(1500);
        dynaliteProcess.kill("SIGSTOP");
        await delay(4000);
        dynaliteProcess.kill("SIGCONT");
        await delay(2000);
        table.down = true;
        await delay(3000);
        table.down = false;
      })();
      return () => {
        if (!stopped) dynaliteProcess.kill("SIGCONT");
        stopped = true;
        void run;
        table.down = false;
      };
    },
  },
  {
    name: "SES stores the message, then answers 500 (20%)",
    events: 20,
    transport: "ses-api",
    sesFailAfterStore: pick(0.2),
  },
  {
    name: "SES stores the message, then answers 500 (20%), at-most-once",
    events: 20,
    transport: "ses-api",
    policy: "at-most-once",
    noDuplicates: true,
    sesFailAfterStore: pick(0.2),
  },
  {
    name: "dead-letter queue down for 12 s (25% permanent refusals)",
    events: 30,
    goneRecipient: (index) => index % 4 === 0,
    smtp: () => ({
      recipientReply: (address) =>
        address.startsWith("gone") ? { code: 550, message: "5.1.1 No such user" } : undefined,
    }),
    faults: ({ dlq }) => {
      dlq.down = true;
      const timer = setTimeout(() => {
        dlq.down = false;
      }, 12_000);
      return () => {
        clearTimeout(timer);
        dlq.down = false;
      };
    },
  },
  {
    name: "two invocations on one batch",
    events: 30,
    noDuplicates: true,
    smtp: () => ({ afterData: () => 150 }),
    simulator: { deliverTwice: true },
  },
];

interface Figures {
  events: number;
  accepted: number;
  duplicates: number;
  unknown: number;
  lost: number;
  deadLettered: number;
  seconds: number;
  promise: string;
}

async function startDynaliteProcess(): Promise<{ process: ChildProcess; env: Record<string, string> }> {
  const child = spawn(process.execPath, [new URL("./dynalite-process.ts", import.meta.url).pathname], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    return { process: child, env: (JSON.parse(line) as { env: Record<string, string> }).env };
  }
  throw new Error("dynalite did not start");
}

async function runScenario(scenario: Scenario, index: number): Promise<Figures> {
  const started = Date.now();
  const recipientsPer = scenario.recipients ?? 1;
  const events = Array.from({ length: scenario.events }, (_, i) => {
    const id = `f${seed}-${index}-${i}`;
    // a recipient refused for good makes the message a permanent failure: dead-lettered
    const to = scenario.goneRecipient?.(i)
      ? [`gone${i}@example.com`]
      : Array.from({ length: recipientsPer }, (_, r) => `u${i}-${r}@example.com`);
    return { id, to, subject: `fault ${id}`, text: `Fault test notification ${id}.` };
  });
  const dynalite = await startDynaliteProcess();
  const tableProxy = await startTcpProxy(Number(new URL(dynalite.env.AWS_ENDPOINT_URL_DYNAMODB!).port));
  const dlq = await startDeadLetterQueue();
  const dlqProxy = await startTcpProxy(dlq.port);
  const smtp = await startSmtpServer({ starttls: false, ...scenario.smtp?.(() => {}) });
  const ses = scenario.transport === "ses-api" ? await startLocalSes() : undefined;
  // the emulator keeps one store per process: start each scenario with an empty one
  await ses?.clear();
  const sesProxy = ses
    ? await startSesFaultProxy(ses.endpoint, scenario.sesFailAfterStore ?? (() => false))
    : undefined;
  const unknownIds = new Map<string, number>();
  const stopFaults = scenario.faults?.({
    dynaliteProcess: dynalite.process,
    table: tableProxy,
    dlq: dlqProxy,
  });
  const stageSeconds = scenario.stageSeconds ?? 1;
  const functionTimeoutMs = ses ? SES_FUNCTION_TIMEOUT_MS : SMTP_FUNCTION_TIMEOUT_MS * stageSeconds;
  try {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      ...smtpEnv(smtp.port, { MM_EMAILSETTINGS_SMTPSERVERTIMEOUT: String(stageSeconds) }),
      ...dynalite.env,
      AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${tableProxy.port}`,
      AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${dlqProxy.port}`,
      HERALD_DEAD_LETTER_QUEUE_URL: dlq.queueUrl.replace(`:${dlq.port}/`, `:${dlqProxy.port}/`),
      HERALD_UNKNOWN_OUTCOME: scenario.policy ?? "at-least-once",
      POWERTOOLS_LOG_LEVEL: "WARN",
      POWERTOOLS_METRICS_DISABLED: "true",
      ...(sesProxy ? { HERALD_TRANSPORT: "ses-api", AWS_ENDPOINT_URL_SESV2: sesProxy.endpoint } : {}),
    };
    const result = await runQueue(
      events.map((e) => JSON.stringify(e)),
      {
        env,
        functionTimeoutMs,
        // longer than an invocation and its lease, as the stack's (6 times) is, but short
        // enough to run here
        visibilityTimeoutMs: functionTimeoutMs * 1.5,
        onLog: (line) => {
          if (!line.includes("notification.unknown-outcome")) return;
          const id = (JSON.parse(line) as { id?: string }).id ?? "?";
          unknownIds.set(id, (unknownIds.get(id) ?? 0) + 1);
        },
        ...scenario.simulator,
      },
    );
    // what servers accepted, per (id, recipient)
    const received = new Map<string, number>();
    const count = (id: string, to: string) =>
      received.set(`${id} ${to}`, (received.get(`${id} ${to}`) ?? 0) + 1);
    for (const message of smtp.messages) {
      const id = /^Subject: fault (\S+)/im.exec(message.raw)?.[1] ?? "?";
      for (const to of message.to) count(id, to);
    }
    for (const email of (await ses?.emails()) ?? []) {
      const id = /^fault (\S+)/.exec(email.subject)?.[1] ?? "?";
      for (const to of email.destination.to) count(id, to);
    }
    const deadLettered = new Set<string>();
    for (const letter of dlq.letters) {
      const event = JSON.parse(letter.body) as { id: string; to: string[] };
      const who = letter.attributes.Recipients?.split(", ") ?? event.to;
      for (const to of who) deadLettered.add(`${event.id} ${to}`);
    }
    for (const body of result.redriven) {
      const event = JSON.parse(body) as { id: string; to: string[] };
      for (const to of event.to)
        if (!received.has(`${event.id} ${to}`)) deadLettered.add(`${event.id} ${to}`);
    }
    let duplicates = 0;
    let unexplained = 0;
    for (const [pair, n] of received) {
      duplicates += n - 1;
      if (n > 1 && !unknownIds.has(pair.split(" ")[0]!)) unexplained += n - 1;
    }
    // at-most-once gives up an unknown outcome: a recipient it left without the message is
    // the policy's documented price, counted apart from a lost one
    let lost = 0;
    let givenUp = 0;
    for (const event of events) {
      for (const to of event.to) {
        const pair = `${event.id} ${to}`;
        if (received.has(pair) || deadLettered.has(pair)) continue;
        if (scenario.policy === "at-most-once" && unknownIds.has(event.id)) givenUp += 1;
        else lost += 1;
      }
    }
    const unknown = [...unknownIds.values()].reduce((a, b) => a + b, 0);
    const broken = [
      ...(lost > 0 ? [`${lost} lost`] : []),
      ...(scenario.noDuplicates && duplicates > 0 ? [`${duplicates} duplicates`] : []),
      ...(!scenario.noDuplicates && unexplained > 0
        ? [`${unexplained} duplicates without an unknown outcome`]
        : []),
    ];
    return {
      events: events.length,
      accepted: received.size,
      duplicates,
      unknown,
      lost,
      deadLettered: deadLettered.size,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      promise:
        (broken.length === 0 ? "kept" : `BROKEN: ${broken.join(", ")}`) +
        (givenUp > 0 ? ` (${givenUp} not received after an unknown outcome, at-most-once)` : ""),
    };
  } finally {
    stopFaults?.();
    dynalite.process.kill("SIGCONT");
    dynalite.process.kill("SIGKILL");
    await Promise.all([
      tableProxy.close(),
      dlqProxy.close(),
      dlq.close(),
      smtp.close(),
      sesProxy?.close(),
      ses?.close(),
    ]);
  }
}

const only = process.env.FAULTS_ONLY;
let failed = 0;
const started = Date.now();
console.log(`fault scenarios (seed ${seed})`);
console.log(
  "| scenario | events | accepted | duplicates | unknown outcomes | lost recipients | dead-lettered | s | promise |",
);
console.log("|---|---|---|---|---|---|---|---|---|");
for (const [index, scenario] of SCENARIOS.entries()) {
  if (only && !scenario.name.includes(only)) continue;
  const f = await runScenario(scenario, index);
  if (f.promise.startsWith("BROKEN")) failed += 1;
  console.log(
    `| ${scenario.name} | ${f.events} | ${f.accepted} | ${f.duplicates} | ${f.unknown} | ${f.lost} | ${f.deadLettered} | ${f.seconds} | ${f.promise} |`,
  );
}
console.log(
  `${failed === 0 ? "every promise kept" : `${failed} scenario(s) broke a promise`} in ${Math.round((Date.now() - started) / 1000)} s`,
);
process.exitCode = failed === 0 ? 0 : 1;
