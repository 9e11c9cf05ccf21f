// Load test of the notification path (`npm run test:load`; not part of `npm test`).
//
// LOAD_EVENTS (default 10,000) notification events, 2% of them delivered twice (some in the
// same batch), go through the REAL send-notification handler in 4 worker processes fed by
// the fault runs' SQS simulator (test/faults/sqs-simulator.ts): batches of 10, the visibility
// timeout honoured, the stack's redrive after MAX_RECEIVE_COUNT (5) receives. The backends
// are the fault runs' too: dynalite in its own process (one idempotency and status table),
// the sandbox's dead-letter queue, and smtp-server with fault hooks that, at random, refuse
// RCPTs (5% with 451, 1% with 550) and messages at the end of DATA (1% with 451), reset the
// connection (0.3%) or close it without a reply (0.3%) after the final dot, while the
// simulator kills 2% of the invocations (kill -9) mid-batch.
//
// Counted per (event, recipient) by test/faults/tally.ts: accepted, duplicates (and whether
// each was a counted unknown outcome), dead-lettered, refused for good, lost. Exit 0 when no
// recipient was lost and every duplicate belongs to a notification whose outcome was counted
// as unknown (the at-least-once policy's documented second copy).
import { setTimeout as delay } from "node:timers/promises";
import { MAX_RECEIVE_COUNT } from "../../src/constants.ts";
import { seededRandom } from "../helpers/seeded-random.ts";
import { countSmtpAccepted, deadLetteredPairs, startBackends } from "../faults/harness.ts";
import { runQueue } from "../faults/sqs-simulator.ts";
import { LogWatch, tally } from "../faults/tally.ts";

const EVENTS = Number(process.env.LOAD_EVENTS ?? 10_000);
const CONTAINERS = 4;
const DUPLICATE_SHARE = 0.02;
const RCPT_TEMPORARY_SHARE = 0.05;
const RCPT_PERMANENT_SHARE = 0.01;
const DATA_TEMPORARY_SHARE = 0.01;
const RESET_AFTER_DOT_SHARE = 0.003;
const CLOSE_AFTER_DOT_SHARE = 0.003;
const KILLED_INVOCATION_SHARE = 0.02;
/** SMTPServerTimeout 1 s: a send's bound is 4 s; the function's timeout leaves it room */
const FUNCTION_TIMEOUT_MS = 8_000;

const seed = Number(process.env.LOAD_SEED ?? Date.now() % 100_000);
const rand = seededRandom(seed);

async function main(): Promise<number> {
  const started = Date.now();
  const faults = { rcpt451: 0, rcpt550: 0, data451: 0, reset: 0, close: 0 };
  const backends = await startBackends({
    recipientReply: () => {
      const r = rand();
      if (r < RCPT_TEMPORARY_SHARE) {
        faults.rcpt451 += 1;
        return { code: 451, message: "4.3.0 Temporary failure, try again later" };
      }
      if (r < RCPT_TEMPORARY_SHARE + RCPT_PERMANENT_SHARE) {
        faults.rcpt550 += 1;
        return { code: 550, message: "5.1.1 User unknown" };
      }
      return undefined;
    },
    dataReply: () => {
      if (rand() >= DATA_TEMPORARY_SHARE) return undefined;
      faults.data451 += 1;
      return { code: 451, message: "4.3.0 Queue busy, try again later" };
    },
    afterData: () => {
      const r = rand();
      if (r < RESET_AFTER_DOT_SHARE) {
        faults.reset += 1;
        return "reset";
      }
      if (r < RESET_AFTER_DOT_SHARE + CLOSE_AFTER_DOT_SHARE) {
        faults.close += 1;
        return "close";
      }
      return undefined;
    },
  });
  try {
    // the events: one recipient each, a tenth of them two (partial refusals happen)
    const unique = Array.from({ length: EVENTS }, (_, i) => ({
      id: `load-${seed}-${i}`,
      to: i % 10 === 0 ? [`user${i}@example.com`, `other${i}@example.com`] : [`user${i}@example.com`],
      subject: `Load notification load-${seed}-${i}`,
      text: `Notification number ${i}.`,
    }));
    const stream: string[] = unique.map((event) => JSON.stringify(event));
    const duplicates = Math.round(EVENTS * DUPLICATE_SHARE);
    for (let n = 0; n < duplicates; n++) {
      const index = Math.floor(rand() * EVENTS);
      const body = JSON.stringify(unique[index]);
      const at = stream.indexOf(body) + 1;
      // a quarter right behind the original (same batch), the rest anywhere after it
      stream.splice(n % 4 === 0 ? at : at + Math.floor(rand() * (stream.length - at + 1)), 0, body);
    }
    const watch = new LogWatch();
    const result = await runQueue(stream, {
      env: backends.env({
        stageSeconds: 1,
        policy: "at-least-once",
        extra: { HERALD_MAX_SEND_RATE: "5000" },
      }),
      containers: CONTAINERS,
      functionTimeoutMs: FUNCTION_TIMEOUT_MS,
      visibilityTimeoutMs: FUNCTION_TIMEOUT_MS + 2_000,
      maxReceiveCount: MAX_RECEIVE_COUNT,
      // a kill at a random moment of the invocation's first second (a fault, not a wait)
      killWhen: () => (rand() < KILLED_INVOCATION_SHARE ? delay(rand() * 1_000) : undefined),
      onLog: watch.onLog,
    });
    const received = new Map<string, number>();
    countSmtpAccepted(backends.smtp.messages, received);
    const figures = tally({
      events: unique,
      received,
      deadLettered: deadLetteredPairs(backends.dlq),
      redriven: result.redriven,
      watch,
      policy: "at-least-once",
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `events ${stream.length} (unique ${figures.events}), recipients ${figures.recipients}, ` +
        `accepted ${figures.accepted}, duplicates ${figures.duplicates} ` +
        `(${figures.unexplainedDuplicates} without an unknown outcome), unknown outcomes ${figures.unknown}, ` +
        `refused for good ${figures.refused}, dead-lettered ${figures.deadLettered}, lost ${figures.lost}`,
    );
    console.log(
      `faults: RCPT 451 ${faults.rcpt451}, RCPT 550 ${faults.rcpt550}, DATA 451 ${faults.data451}, ` +
        `reset after the dot ${faults.reset}, closed after the dot ${faults.close}, ` +
        `invocations killed ${result.killed} of ${result.invocations} (${result.timedOut} at their timeout), ` +
        `${result.redriven.length} moved on by the redrive (seed ${seed}, ${seconds} s)`,
    );
    return figures.lost === 0 && figures.unexplainedDuplicates === 0 ? 0 : 1;
  } finally {
    await backends.close();
  }
}

process.exitCode = await main();
