/**
 * The sandbox's tour: the deployed handlers, built from two runtimes exactly as Lambda builds
 * them (one sending over SMTP, one over the SES v2 API), invoked in order against the local
 * servers. Each step says what happened and checks it against what should have happened,
 * from the outside: the handler's result, what the SMTP server caught, what the SES emulator
 * stored, what reached the dead-letter queue.
 */
import { randomUUID } from "node:crypto";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { createSecurityAlertCheckHandler } from "../lambdas/security-alert-check.ts";
import { createSendNotificationHandler } from "../lambdas/send-notification.ts";
import { createTestSendHandler } from "../lambdas/test-send.ts";
import { createValidateSettingsHandler } from "../lambdas/validate-settings.ts";
import { probeCommand, type ProbeReport } from "../src/cli/commands/probe.ts";
import { sqsRecord } from "../src/notifications/batch.ts";
import { ALL_AWS_CLIENTS } from "../src/aws-clients.ts";
import { createRuntime, type Runtime } from "../src/runtime.ts";
import type { SandboxFiles } from "./files.ts";
import type { NotificationOutcomes } from "./mail-page/outcomes.ts";
import { reasonWithReply } from "./mail-page/summary.ts";
import { mattermostRoundTrip } from "./mattermost.ts";
import type { Progress } from "./progress.ts";
import {
  ADMINS,
  BULLETIN_ID,
  BUSY,
  BUSY_RECIPIENT,
  DIGEST,
  eventBridgeBody,
  INVALID,
  MENTION,
  SITE_NAME,
  TEST_RECIPIENT,
  UNKNOWN,
  UNKNOWN_RECIPIENT,
  SANDBOX_BOUNCE,
  STATUS_BOUNCED,
  STATUS_DELAYED,
  STATUS_DELIVERED,
  STATUS_NOTIFICATIONS,
  WELCOME,
} from "./scenario.ts";
import { sandboxFeedback } from "./feedback.ts";
import type { DeadLetterRecord } from "./servers/dead-letter-queue.ts";
import type { SandboxServers } from "./start-servers.ts";

export interface FlowOptions {
  servers: SandboxServers;
  /** the environment of the runtime that sends over SMTP (HERALD_TRANSPORT=smtp) */
  smtpEnv: Record<string, string>;
  /** the same, sending with the SES v2 API (HERALD_TRANSPORT=ses-api) */
  sesEnv: Record<string, string>;
  /** the settings file, and where the Mattermost step exports it to */
  files: Pick<SandboxFiles, "config" | "mattermostConfig" | "mattermostEnv">;
  /** "lambda": the handlers' JSON logs on stdout; "cli": quiet. @default "cli" */
  mode?: "lambda" | "cli";
}

/** A console invocation's context with a budget, as Lambda gives one. */
function invocation(functionName: string, budgetMs = 60_000): Context {
  const end = Date.now() + budgetMs;
  return {
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: "256",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "sandbox",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => end - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** An SQS record as the queue delivers it; a redelivery keeps its message id and counts up. */
function record(messageId: string, body: string, receiveCount = 1): SQSRecord {
  const delivered = sqsRecord(body, messageId);
  delivered.attributes.ApproximateReceiveCount = String(receiveCount);
  return delivered;
}

function sameList(actual: readonly string[], expected: readonly string[]): boolean {
  return actual.length === expected.length && actual.every((item, i) => item === expected[i]);
}

type SentEvent = { id: string; category?: string; subject: string; to: string[] };

/**
 * What became of each event of a batch, seen from the outside, for the mail page: a batch item
 * failure is retried by SQS, a dead letter names its event, an event whose recipients got a
 * message was sent, and one that sent nothing and failed nothing was a duplicate, skipped.
 */
function recordOutcomes(
  outcomes: NotificationOutcomes,
  batch: Array<[recordId: string, event: SentEvent]>,
  seen: { failures: string[]; letters: DeadLetterRecord[]; sentTo: string[] },
): void {
  for (const [recordId, event] of batch) {
    const letter = seen.letters.find((l) => l.attributes.EventId === event.id);
    if (seen.failures.includes(recordId)) outcomes.record(event, "retried");
    else if (letter) outcomes.record(event, "dead-lettered", reasonWithReply(letter.attributes));
    else if (event.to.some((address) => seen.sentTo.includes(address))) outcomes.record(event, "sent");
    else outcomes.record(event, "duplicate skipped");
  }
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

/** Runs every step; true when each had its expected outcome. */
export async function runFlow(progress: Progress, options: FlowOptions): Promise<boolean> {
  const { servers } = options;
  const mode = options.mode ?? "cli";
  const runtimes: Runtime[] = [
    createRuntime({ env: options.smtpEnv, serviceName: "herald-sandbox", mode, clients: ALL_AWS_CLIENTS }),
    createRuntime({
      env: options.sesEnv,
      serviceName: "herald-sandbox-ses-api",
      mode,
      clients: ALL_AWS_CLIENTS,
    }),
  ];
  const [smtpRuntime, sesRuntime] = runtimes as [Runtime, Runtime];
  const validateSettings = createValidateSettingsHandler(smtpRuntime);
  const testSend = createTestSendHandler(smtpRuntime);
  const sendOverSmtp = createSendNotificationHandler(smtpRuntime);
  const sendOverSes = createSendNotificationHandler(sesRuntime);
  const securityCheck = createSecurityAlertCheckHandler(smtpRuntime);

  const caughtSince = (before: number) => servers.caught.slice(before);
  const lettersSince = (before: number) => servers.deadLetters.letters.slice(before);
  const failuresOf = (response: { batchItemFailures: Array<{ itemIdentifier: string }> }) =>
    response.batchItemFailures.map((failure) => failure.itemIdentifier);

  try {
    await progress.step("validate-settings { connect: true }", async () => {
      const result = await validateSettings({ connect: true }, invocation("herald-validate-settings"));
      const errors = result.problems.filter((p) => p.severity === "error");
      const warnings = result.problems.length - errors.length;
      const tls = result.probe?.server?.tls;
      const ok = result.valid && result.probe?.ok === true;
      return {
        ok,
        detail: ok
          ? `valid, ${plural(warnings, "warning")}; STARTTLS (${tls?.protocol ?? "TLS"}, verified), login accepted`
          : `valid: ${result.valid}; ${errors.map((p) => `${p.setting}: ${p.message}`).join("; ") || "the probe failed"}`,
        expected: "valid settings and a successful probe",
      };
    });

    await progress.step("herald probe", async () => {
      let stdout = "";
      const code = await probeCommand(["--json"], {
        stdout: (text) => void (stdout += text),
        stderr: () => undefined,
        env: options.smtpEnv,
      });
      const report = JSON.parse(stdout || "{}") as ProbeReport;
      const server = report.server;
      const ok = code === 0 && report.ok && server?.tls?.authorized === true && report.login === undefined;
      return {
        ok,
        detail: ok
          ? `${server?.tls?.protocol}, AUTH ${server?.authMethods?.join(" ")}, login accepted (exit 0)`
          : `exit ${code}, stopped at ${report.stage}: ${report.error?.message ?? report.login?.reason ?? "?"}`,
        expected: "exit 0: greeting, STARTTLS with a verified certificate, AUTH, login",
      };
    });

    await progress.step("herald export for Mattermost", () => mattermostRoundTrip(options.files));

    await progress.step(`test-send { to: ${TEST_RECIPIENT} }`, async () => {
      const before = servers.caught.length;
      const report = await testSend({ to: TEST_RECIPIENT }, invocation("herald-test-send"));
      const caught = caughtSince(before).filter((m) => m.envelopeTo.includes(TEST_RECIPIENT));
      const ok = report.ok && caught.length === 1;
      return {
        ok,
        detail: ok
          ? `"[${SITE_NAME}] Testing Email Settings" caught`
          : `ok: ${report.ok} at ${report.stage}: ${report.error?.message ?? `${caught.length} message(s) caught`}`,
        expected: "the test email accepted and caught once",
      };
    });

    // SQS delivers what the EventBridge rule put on the queue: the events with their envelope.
    const firstSmtp: SQSEvent = {
      Records: [
        record("smtp-1", eventBridgeBody(WELCOME)),
        record("smtp-2", eventBridgeBody(MENTION)),
        record("smtp-3", eventBridgeBody(BUSY)),
        record("smtp-4", eventBridgeBody(UNKNOWN)),
      ],
    };
    await progress.step("send-notification, SMTP", async () => {
      const caughtBefore = servers.caught.length;
      const lettersBefore = servers.deadLetters.letters.length;
      const failures = failuresOf(await sendOverSmtp(firstSmtp, invocation("herald-send-notification")));
      const sentTo = caughtSince(caughtBefore).flatMap((m) => m.envelopeTo);
      const letters = lettersSince(lettersBefore);
      const letter = letters[0]?.attributes;
      recordOutcomes(
        servers.outcomes,
        [
          ["smtp-1", WELCOME],
          ["smtp-2", MENTION],
          ["smtp-3", BUSY],
          ["smtp-4", UNKNOWN],
        ],
        { failures, letters, sentTo },
      );
      const ok =
        sameList(failures, ["smtp-3"]) &&
        sameList(sentTo.sort(), ["alice@example.com", "bob@example.com"]) &&
        letters.length === 1 &&
        letter?.EventId === UNKNOWN.id &&
        letter.ResponseCode === "550";
      return {
        ok,
        detail: ok
          ? `4 events: 2 sent; ${BUSY_RECIPIENT} 451: retry; ${UNKNOWN_RECIPIENT} 550: dead-letter queue`
          : `batch item failures [${failures.join(", ")}], sent to [${sentTo.join(", ")}], ${plural(letters.length, "dead letter")}`,
        expected: `2 sent, "smtp-3" (451) a batch item failure, "${UNKNOWN.id}" (550) dead-lettered`,
      };
    });

    // SQS delivers the failed record again, and EventBridge (at least once) the welcome twice.
    await progress.step("send-notification, SMTP, redelivered", async () => {
      const caughtBefore = servers.caught.length;
      const redelivery: SQSEvent = {
        Records: [
          record("smtp-3", firstSmtp.Records[2]?.body ?? "", 2),
          record("smtp-5", eventBridgeBody(WELCOME)),
        ],
      };
      const failures = failuresOf(await sendOverSmtp(redelivery, invocation("herald-send-notification")));
      const sentTo = caughtSince(caughtBefore).flatMap((m) => m.envelopeTo);
      recordOutcomes(
        servers.outcomes,
        [
          ["smtp-3", BUSY],
          ["smtp-5", WELCOME],
        ],
        { failures, letters: [], sentTo },
      );
      const ok = failures.length === 0 && sameList(sentTo, [BUSY_RECIPIENT]);
      return {
        ok,
        detail: ok
          ? `${BUSY_RECIPIENT} sent on the 2nd delivery; ${WELCOME.id} again: duplicate, skipped`
          : `batch item failures [${failures.join(", ")}], sent to [${sentTo.join(", ")}]`,
        expected: `no failures, one message to ${BUSY_RECIPIENT}, the duplicate skipped`,
      };
    });

    const firstSes: SQSEvent = {
      Records: [record("ses-1", eventBridgeBody(DIGEST)), record("ses-2", eventBridgeBody(INVALID))],
    };
    await progress.step("send-notification, SES API", async () => {
      const storedBefore = (await servers.ses.emails()).length;
      const lettersBefore = servers.deadLetters.letters.length;
      const failures = failuresOf(await sendOverSes(firstSes, invocation("herald-send-notification")));
      const stored = (await servers.ses.emails()).slice(storedBefore);
      const letters = lettersSince(lettersBefore);
      recordOutcomes(
        servers.outcomes,
        [
          ["ses-1", DIGEST],
          ["ses-2", INVALID],
        ],
        { failures, letters, sentTo: stored.flatMap((m) => m.destination.to) },
      );
      const ok =
        failures.length === 0 &&
        stored.length === 1 &&
        stored[0]?.subject === DIGEST.subject &&
        letters.length === 1 &&
        letters[0]?.attributes.ErrorCode === "EEVENT";
      return {
        ok,
        detail: ok
          ? `the digest stored by the SES emulator; an invalid event: dead-letter queue`
          : `batch item failures [${failures.join(", ")}], ${stored.length} stored, ${plural(letters.length, "dead letter")}`,
        expected: "no failures, 1 message stored, the invalid event dead-lettered (EEVENT)",
      };
    });

    await progress.step("send-notification, SES API, redelivered", async () => {
      const storedBefore = (await servers.ses.emails()).length;
      const redelivery: SQSEvent = { Records: [record("ses-1", firstSes.Records[0]?.body ?? "", 2)] };
      const failures = failuresOf(await sendOverSes(redelivery, invocation("herald-send-notification")));
      const storedNow = (await servers.ses.emails()).slice(storedBefore);
      const stored = storedNow.length;
      recordOutcomes(servers.outcomes, [["ses-1", DIGEST]], {
        failures,
        letters: [],
        sentTo: storedNow.flatMap((m) => m.destination.to),
      });
      const ok = failures.length === 0 && stored === 0;
      return {
        ok,
        detail: ok
          ? `${DIGEST.id} again: duplicate (its record in DynamoDB), skipped`
          : `batch item failures [${failures.join(", ")}], ${stored} stored again`,
        expected: "no failures and nothing sent again",
      };
    });

    await progress.step("SES feedback -> status records", async () => {
      // Three more over SES, then the events SES would publish: deliveries for most, a bounce
      // for one, a delay and then the delivery for another, through the real feedback operation.
      const bodies = STATUS_NOTIFICATIONS.map((n, i) => record(`ses-status-${i}`, eventBridgeBody(n)));
      const storedBefore = (await servers.ses.emails()).length;
      const failures = failuresOf(
        await sendOverSes({ Records: bodies }, invocation("herald-send-notification")),
      );
      // the mail page names each message's notification, its outcome and (below) its status
      recordOutcomes(
        servers.outcomes,
        STATUS_NOTIFICATIONS.map((n, i): [string, SentEvent] => [`ses-status-${i}`, n]),
        {
          failures,
          letters: [],
          sentTo: (await servers.ses.emails()).slice(storedBefore).flatMap((m) => m.destination.to),
        },
      );
      const feedback = sandboxFeedback(sesRuntime);
      servers.statusSource = (id) => feedback.store.read(id);
      const sent = async (id: string) => (await feedback.store.read(id))!;
      await feedback.feed("Delivery", await sent(DIGEST.id), 1200);
      await feedback.feed("Delivery", await sent(STATUS_DELIVERED.id), 800);
      await feedback.feed({ bounce: SANDBOX_BOUNCE }, await sent(STATUS_BOUNCED.id), 900);
      const delayed = await sent(STATUS_DELAYED.id);
      await feedback.feed("DeliveryDelay", delayed, 60_000);
      await feedback.feed("Delivery", delayed, 300_000);
      const states = await Promise.all(
        [DIGEST, ...STATUS_NOTIFICATIONS].map(async (n) => {
          const status = await feedback.store.read(n.id);
          return `${n.id}: ${status?.recipients.map((r) => r.state).join(", ") ?? "no record"}`;
        }),
      );
      const expected = [
        `${DIGEST.id}: delivered`,
        `${STATUS_DELIVERED.id}: delivered`,
        `${STATUS_BOUNCED.id}: bounced`,
        `${STATUS_DELAYED.id}: delivered`,
      ];
      const ok = failures.length === 0 && sameList(states, expected);
      return {
        ok,
        detail: ok
          ? `${states.join("; ")} (herald status ID shows each; ${feedback.published.length} NotificationFeedback events)`
          : `batch item failures [${failures.join(", ")}]; ${states.join("; ")}`,
        expected: expected.join("; "),
      };
    });

    await progress.step("security-alert-check", async () => {
      const before = servers.caught.length;
      const summary = await securityCheck({}, invocation("herald-security-alert-check"));
      const sentTo = caughtSince(before).flatMap((m) => m.envelopeTo);
      const ok =
        summary.errors.length === 0 &&
        summary.applicable === 1 &&
        summary.sent === ADMINS.length &&
        sameList(sentTo.sort(), [...ADMINS].sort());
      return {
        ok,
        detail: ok
          ? `${summary.checked} bulletins listed, ${BULLETIN_ID} applies: sent to ${plural(ADMINS.length, "admin")}`
          : `${JSON.stringify({ ...summary, errors: summary.errors.map((e) => e.message) })}`,
        expected: `1 applicable bulletin emailed to ${ADMINS.length} administrators, no errors`,
      };
    });

    await progress.step("security-alert-check, second run", async () => {
      const before = servers.caught.length;
      const summary = await securityCheck({}, invocation("herald-security-alert-check"));
      const ok = summary.errors.length === 0 && summary.sent === 0 && summary.skipped === ADMINS.length;
      return {
        ok: ok && servers.caught.length === before,
        detail: ok ? "nothing sent again: each bulletin goes out once" : JSON.stringify(summary),
        expected: "0 sent, every administrator skipped",
      };
    });
  } finally {
    await Promise.all(runtimes.map((runtime) => runtime.close()));
  }
  return progress.results.every((result) => result.ok);
}
