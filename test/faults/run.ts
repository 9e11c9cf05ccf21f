// Fault tests of the send path (`npm run test:faults`; not part of `npm test`).
//
// Each scenario runs the REAL send-notification handler in worker processes fed by an SQS
// simulator (visibility timeout honoured, redrive after MAX_RECEIVE_COUNT receives), against
// local servers: smtp-server with fault hooks (sandbox/servers/smtp.ts), aws-ses-v2-local
// behind a proxy that can answer 500 after storing, dynalite in a process of its own (behind
// a TCP proxy that can go down), and the sandbox's dead-letter queue (behind one too).
// Scenarios run FAULTS_PARALLEL at a time (default 2, one per core: they mostly wait out
// visibility timeouts, and more starve the workers into their timeouts); faults that depend on progress start and end at barriers (a message accepted, a
// log line, an invocation's end), never after a fixed sleep.
//
// Counted per (notification, recipient) by tally.ts. Exit 1 when a scenario breaks its
// promise (issue 16's "Done when"): a lost recipient anywhere; a duplicate in the slow-DATA,
// partial-recipient and two-invocation scenarios or with at-most-once; elsewhere, a duplicate
// of a notification whose outcome was not counted as unknown; or a scenario whose fault never
// happened (its figures would prove nothing).
import type { ChildProcess } from "node:child_process";
import { startLocalSes } from "../../sandbox/servers/ses.ts";
import type { SmtpServerOptions } from "../../sandbox/servers/smtp.ts";
import { SEND_RESERVE_MS, SEND_RESPONSE_MARGIN_MS, type UnknownOutcomePolicy } from "../../src/constants.ts";
import { seededRandom } from "../helpers/seeded-random.ts";
import { countSmtpAccepted, deadLetteredPairs, startBackends } from "./harness.ts";
import { startSesFaultProxy, type TcpProxy } from "./proxies.ts";
import { runQueue, type SimulatorOptions } from "./sqs-simulator.ts";
import { LogWatch, pairKey, tally, type Figures } from "./tally.ts";

/** FAULTS_SEED repeats a run: each scenario draws from its own generator (seed + index). */
const seed = Number(process.env.FAULTS_SEED ?? Date.now() % 100_000);
const parallel = Math.max(1, Number(process.env.FAULTS_PARALLEL ?? 2));

/**
 * A send's bound over SMTP is 4 stages (SMTPServerTimeout each) and a send starts only when
 * that and 2.5 s more are left: 11 s leaves 4.5 s to start a batch's sends on a loaded machine.
 */
const SMTP_FUNCTION_TIMEOUT_MS_PER_STAGE_SECOND = 11_000;
/** the SES client's 10 s bound */
const SES_FUNCTION_TIMEOUT_MS = 16_000;
/** A scenario that has not settled by then is reported as broken (a hang, not a figure). */
const SCENARIO_LIMIT_MS = 6 * 60_000;

/** What a scenario's fault hooks may use. */
interface FaultContext {
  rand: () => number;
  /** count one injected fault */
  injected(): void;
  dynaliteProcess: ChildProcess;
  table: TcpProxy;
  dlq: TcpProxy;
  watch: LogWatch;
  /** a barrier: the SMTP server has accepted this many messages */
  accepted(count: number): Promise<void>;
  /** a barrier: the SMTP server has accepted this many more messages than it has now */
  acceptedMore(count: number): Promise<void>;
  /** a barrier: the next invocation that ends (`returned` false: killed or timed out) */
  invocationEnded(): Promise<{ returned: boolean }>;
}

interface Scenario {
  name: string;
  events: number;
  recipients?: number;
  transport?: "smtp" | "ses-api";
  policy?: UnknownOutcomePolicy;
  /** no duplicate at all is promised */
  noDuplicates?: boolean;
  /** SMTPServerTimeout in seconds. @default 1 */
  stageSeconds?: number;
  /** @default 8 s per stage second over SMTP, 16 s over SES */
  functionTimeoutMs?: number;
  smtp?: (f: FaultContext) => Partial<SmtpServerOptions>;
  simulator?: (f: FaultContext) => Partial<SimulatorOptions>;
  sesFailAfterStore?: (f: FaultContext) => () => boolean;
  /** recipients a server refuses for good (dead-lettered with their reason) */
  goneRecipient?: (index: number) => boolean;
  /** a fault script over the store or the dead-letter queue, run beside the queue */
  faults?: (f: FaultContext) => Promise<void>;
}

/**
 * True in `share` of its calls, at random, and at least once: when 2/share calls have gone by
 * without one, the next call is one (a row whose fault never happened would prove nothing, and
 * 30 draws at 20% miss every time once in a thousand runs).
 */
function drawFault(f: FaultContext, share: number): () => boolean {
  let calls = 0;
  let hits = 0;
  return () => {
    calls += 1;
    const hit = f.rand() < share || (hits === 0 && calls >= Math.ceil(2 / share));
    if (hit) hits += 1;
    return hit;
  };
}

/** A hook that injects a fault in `share` of its calls (at least once), and counts them. */
function sometimes<T>(f: FaultContext, share: number, fault: T): () => T | undefined {
  const draw = drawFault(f, share);
  return () => {
    if (!draw()) return undefined;
    f.injected();
    return fault;
  };
}

/**
 * Kill -9 the first invocation and 30% of the others once 1-5 more messages have been accepted
 * (a barrier, not a delay: a timed kill missed every invocation of a fast run). The first is
 * always killed because 30 events make only three batches when nothing fails. A batch holds 10,
 * so the first invocation is still sending when the barrier is met.
 */
const killMidBatch = (f: FaultContext): Partial<SimulatorOptions> => {
  let invocations = 0;
  return {
    killWhen: () => {
      invocations += 1;
      if (invocations > 1 && f.rand() >= 0.3) return undefined;
      return f.acceptedMore(1 + Math.floor(f.rand() * 5));
    },
  };
};

/** Stop the store at a barrier (5 messages sent) and resume it after an invocation met it. */
async function storeOutage(f: FaultContext, stop: () => void, resume: () => void): Promise<void> {
  await f.accepted(5);
  f.injected();
  stop();
  // the outage lasts until an invocation has failed a store call because of it (or was
  // stopped at its timeout), and that invocation, or another, has ended
  await Promise.race([
    f.watch.logged(/EIDEMPOTENCY|notification\.record-failed/),
    (async () => {
      while ((await f.invocationEnded()).returned);
    })(),
  ]);
  await f.invocationEnded();
  resume();
}

/** Slow DATA: the function's time leaves 2 s to start sends, so a slow reply outlives that cutoff. */
const SLOW_STAGE_SECONDS = 2;
const SLOW_FUNCTION_TIMEOUT_MS =
  4 * SLOW_STAGE_SECONDS * 1000 + SEND_RESERVE_MS + SEND_RESPONSE_MARGIN_MS + 2_000;

const SCENARIOS: Scenario[] = [
  {
    name: "SES stores the message, then answers 500 (20%)",
    events: 20,
    transport: "ses-api",
    sesFailAfterStore: (f) => {
      const fail = sometimes(f, 0.2, true);
      return () => fail() ?? false;
    },
  },
  {
    name: "SES stores the message, then answers 500 (20%)",
    events: 20,
    transport: "ses-api",
    policy: "at-most-once",
    noDuplicates: true,
    sesFailAfterStore: (f) => {
      const fail = sometimes(f, 0.2, true);
      return () => fail() ?? false;
    },
  },
  {
    name: "kill -9 mid-batch (the first invocation, then 30%; after 1-5 more messages accepted)",
    events: 30,
    smtp: () => ({ afterData: () => 100 }),
    simulator: killMidBatch,
  },
  {
    name: "kill -9 mid-batch (the first invocation, then 30%; after 1-5 more messages accepted)",
    events: 30,
    policy: "at-most-once",
    noDuplicates: true,
    smtp: () => ({ afterData: () => 100 }),
    simulator: killMidBatch,
  },
  {
    name: "connection reset after the final dot (20%)",
    events: 30,
    smtp: (f) => ({ afterData: sometimes(f, 0.2, "reset" as const) }),
  },
  {
    name: "connection reset after the final dot (20%)",
    events: 30,
    policy: "at-most-once",
    noDuplicates: true,
    smtp: (f) => ({ afterData: sometimes(f, 0.2, "reset" as const) }),
  },
  {
    name: "connection closed without a reply after the final dot (20%)",
    events: 30,
    smtp: (f) => ({ afterData: sometimes(f, 0.2, "close" as const) }),
  },
  {
    name: "connection closed without a reply after the final dot (20%)",
    events: 30,
    policy: "at-most-once",
    noDuplicates: true,
    smtp: (f) => ({ afterData: sometimes(f, 0.2, "close" as const) }),
  },
  {
    name: `slow DATA reply near the deadline (30%, 1.2 s of a ${SLOW_STAGE_SECONDS} s stage; sends start only in the invocation's first 2 s)`,
    events: 30,
    noDuplicates: true,
    stageSeconds: SLOW_STAGE_SECONDS,
    functionTimeoutMs: SLOW_FUNCTION_TIMEOUT_MS,
    smtp: (f) => ({ afterData: sometimes(f, 0.3, 1200) }),
  },
  {
    name: "partial recipients (3 each; per RCPT 6% 451, 4% 452, 2% 550)",
    events: 30,
    recipients: 3,
    noDuplicates: true,
    smtp: (f) => ({
      recipientReply: () => {
        const r = f.rand();
        if (r >= 0.12) return undefined;
        f.injected();
        if (r < 0.06) return { code: 451, message: "4.3.0 Temporary failure, try again later" };
        if (r < 0.1) return { code: 452, message: "4.2.2 Mailbox full, try again later" };
        return { code: 550, message: "5.1.1 No such user" };
      },
    }),
  },
  ...(["at-least-once", "at-most-once"] as const).flatMap((policy): Scenario[] => [
    {
      name: "table hung (SIGSTOP) after 5 sends, until an invocation failed a store call on it",
      events: 30,
      policy,
      smtp: () => ({ afterData: () => 150 }),
      faults: (f) =>
        storeOutage(
          f,
          () => f.dynaliteProcess.kill("SIGSTOP"),
          () => f.dynaliteProcess.kill("SIGCONT"),
        ),
    },
    {
      name: "table down (connections reset) after 5 sends, until an invocation failed a store call on it",
      events: 30,
      policy,
      smtp: () => ({ afterData: () => 150 }),
      faults: (f) =>
        storeOutage(
          f,
          () => (f.table.down = true),
          () => (f.table.down = false),
        ),
    },
  ]),
  {
    name: "dead-letter queue down until an invocation failed to dead-letter (25% refused for good)",
    events: 30,
    goneRecipient: (index) => index % 4 === 0,
    smtp: () => ({
      recipientReply: (address) =>
        address.startsWith("gone") ? { code: 550, message: "5.1.1 No such user" } : undefined,
    }),
    faults: async (f) => {
      f.dlq.down = true;
      f.injected();
      await f.watch.logged(/notification\.dead-letter-failed/);
      await f.invocationEnded();
      f.dlq.down = false;
      if (process.env.FAULTS_VERBOSE) console.error("dead-letter queue up again");
    },
  },
  {
    name: "two invocations on one batch",
    events: 30,
    noDuplicates: true,
    smtp: () => ({ afterData: () => 150 }),
    simulator: (f) => {
      f.injected();
      return { deliverTwice: true };
    },
  },
];

interface Row extends Figures {
  faults: number;
  /** notifications SQS's redrive moved on after 5 receives (their recipients count as dead-lettered) */
  redriven: number;
  seconds: number;
  broken: string[];
}

async function runScenario(scenario: Scenario, index: number): Promise<Row> {
  const started = Date.now();
  const policy = scenario.policy ?? "at-least-once";
  const recipientsPer = scenario.recipients ?? 1;
  const events = Array.from({ length: scenario.events }, (_, i) => {
    const id = `f${seed}-${index}-${i}`;
    // a recipient refused for good makes the message a permanent failure: dead-lettered
    const to = scenario.goneRecipient?.(i)
      ? [`gone${i}@example.com`]
      : Array.from({ length: recipientsPer }, (_, r) => `u${i}-${r}@example.com`);
    return { id, to, subject: `fault ${id}`, text: `Fault test notification ${id}.` };
  });

  let faults = 0;
  let acceptedCount = 0;
  const acceptedWaiters: Array<{ count: number; resolve: () => void }> = [];
  const endWaiters: Array<(ended: { returned: boolean }) => void> = [];
  const watch = new LogWatch();
  // the fault context is complete once the backends exist; the SMTP hooks only run later
  const f = { rand: seededRandom(seed + index), injected: () => void (faults += 1), watch } as FaultContext;
  const b = await startBackends({
    ...scenario.smtp?.(f),
    onMessage: () => {
      acceptedCount += 1;
      for (const waiter of acceptedWaiters.filter((w) => w.count <= acceptedCount)) {
        acceptedWaiters.splice(acceptedWaiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    },
  });
  const accepted = (count: number) =>
    count <= acceptedCount
      ? Promise.resolve()
      : new Promise<void>((resolve) => acceptedWaiters.push({ count, resolve }));
  Object.assign(f, {
    dynaliteProcess: b.dynaliteProcess,
    table: b.table,
    dlq: b.dlqProxy,
    accepted,
    acceptedMore: (count: number) => accepted(acceptedCount + count),
    invocationEnded: () => new Promise<{ returned: boolean }>((resolve) => endWaiters.push(resolve)),
  });
  const ses = scenario.transport === "ses-api" ? await startLocalSes() : undefined;
  const sesProxy = ses
    ? await startSesFaultProxy(ses.endpoint, scenario.sesFailAfterStore?.(f) ?? (() => false))
    : undefined;
  const stageSeconds = scenario.stageSeconds ?? 1;
  const functionTimeoutMs =
    scenario.functionTimeoutMs ??
    (ses ? SES_FUNCTION_TIMEOUT_MS : SMTP_FUNCTION_TIMEOUT_MS_PER_STAGE_SECOND * stageSeconds);
  try {
    const env = b.env({
      stageSeconds,
      policy,
      extra: sesProxy ? { HERALD_TRANSPORT: "ses-api", AWS_ENDPOINT_URL_SESV2: sesProxy.endpoint } : {},
    });
    const faultScript = scenario.faults?.(f);
    const stop = new AbortController();
    let limit: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      runQueue(
        events.map((e) => JSON.stringify(e)),
        {
          signal: stop.signal,
          env,
          functionTimeoutMs,
          // longer than an invocation and its lease (SQS requires at least the function's
          // timeout; the stack's is 6 times), short enough to run here
          visibilityTimeoutMs: functionTimeoutMs + 2_000,
          onLog: watch.onLog,
          onInvocationEnd: (ended) => {
            for (const resolve of endWaiters.splice(0)) resolve(ended);
          },
          ...scenario.simulator?.(f),
        },
      ),
      new Promise<never>((_, reject) => {
        limit = setTimeout(() => {
          stop.abort();
          reject(new Error(`not settled within ${SCENARIO_LIMIT_MS / 1000} s`));
        }, SCENARIO_LIMIT_MS);
      }),
    ]).finally(() => clearTimeout(limit));
    // a fault script still waiting for its barrier: the run ended before the fault did
    void faultScript;
    faults += result.killed;

    // what servers accepted, per (id, recipient)
    const received = new Map<string, number>();
    countSmtpAccepted(b.smtp.messages, received);
    // the emulator keeps one store per process, shared by the SES scenarios running beside
    // this one: only this scenario's ids count
    for (const email of (await ses?.emails()) ?? []) {
      const id = /^fault (\S+)/.exec(email.subject)?.[1] ?? "?";
      if (!id.startsWith(`f${seed}-${index}-`)) continue;
      for (const to of email.destination.to)
        received.set(pairKey(id, to), (received.get(pairKey(id, to)) ?? 0) + 1);
    }
    const deadLettered = deadLetteredPairs(b.dlq);
    if (process.env.FAULTS_VERBOSE) {
      console.error(`${scenario.name}, ${policy}: unknown outcomes`, Object.fromEntries(watch.unknownWhy), {
        invocations: result.invocations,
        killed: result.killed,
        timedOut: result.timedOut,
        retryable: Object.fromEntries(watch.retryableCodes),
      });
    }
    const figures = tally({ events, received, deadLettered, redriven: result.redriven, watch, policy });
    const broken = [
      ...(faults === 0 ? ["the fault never happened"] : []),
      ...(figures.lost > 0 ? [`${figures.lost} lost`] : []),
      ...((scenario.noDuplicates || policy === "at-most-once") && figures.duplicates > 0
        ? [`${figures.duplicates} duplicates`]
        : []),
      ...(figures.unexplainedDuplicates > 0
        ? [`${figures.unexplainedDuplicates} duplicates without an unknown outcome`]
        : []),
    ];
    const redriven = new Set(result.redriven.map((body) => (JSON.parse(body) as { id: string }).id)).size;
    return { ...figures, faults, redriven, seconds: Math.round((Date.now() - started) / 100) / 10, broken };
  } catch (error) {
    const broken = [error instanceof Error ? error.message : String(error)];
    const empty = tally({
      events,
      received: new Map(),
      deadLettered: new Set(),
      redriven: [],
      watch,
      policy,
    });
    return { ...empty, faults, redriven: 0, seconds: Math.round((Date.now() - started) / 100) / 10, broken };
  } finally {
    await Promise.all([b.close(), sesProxy?.close(), ses?.close()]);
  }
}

const only = process.env.FAULTS_ONLY;
const chosen = [...SCENARIOS.entries()].filter(
  ([, s]) => !only || `${s.name}, ${s.policy ?? "at-least-once"}`.includes(only),
);
const started = Date.now();
console.log(`fault scenarios (seed ${seed}, ${parallel} at a time)`);
const rows = new Map<number, Row>();
let next = 0;
await Promise.all(
  Array.from({ length: Math.min(parallel, chosen.length) }, async () => {
    while (next < chosen.length) {
      const [index, scenario] = chosen[next++]!;
      const row = await runScenario(scenario, index);
      rows.set(index, row);
      console.log(`done: ${scenario.name}, ${scenario.policy ?? "at-least-once"} (${row.seconds} s)`);
    }
  }),
);
console.log(
  "\n| scenario | policy | events | recipients | faults injected | accepted | duplicates | unknown outcomes | not received after an unknown outcome (at-most-once) | refused for good (5xx) | dead-lettered (of them moved on by the redrive, no reason) | lost | s | promise |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
let failed = 0;
for (const [index, scenario] of chosen) {
  const r = rows.get(index)!;
  if (r.broken.length > 0) failed += 1;
  console.log(
    `| ${scenario.name} | ${scenario.policy ?? "at-least-once"} | ${r.events} | ${r.recipients} | ${r.faults} | ${r.accepted} | ${r.duplicates} | ${r.unknown} | ${r.notRetried} | ${r.refused} | ${r.deadLettered} (${r.redriven}) | ${r.lost} | ${r.seconds} | ${r.broken.length === 0 ? "kept" : `BROKEN: ${r.broken.join(", ")}`} |`,
  );
}
console.log(
  `\n${failed === 0 ? "every promise kept" : `${failed} scenario(s) broke a promise`} in ${Math.round((Date.now() - started) / 1000)} s`,
);
process.exitCode = failed === 0 ? 0 : 1;
