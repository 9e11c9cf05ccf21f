import { readFile } from "node:fs/promises";
import { text } from "node:stream/consumers";
import { describeError } from "../../errors.ts";
import { sqsRecord } from "../../notifications/batch.ts";
import { summarize, type RecordOutcome, type SendSummary } from "../../notifications/outcome.ts";
import { createNotificationPipeline } from "../../notifications/pipeline.ts";
import { SMTP_POOL_CONNECTIONS } from "../../smtp/options.ts";
import { printable } from "../format.ts";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, printJson, stdinOf, UsageError, type CliIo } from "../io.ts";
import { loadSettingsOrReport } from "../load-or-usage.ts";
import { openCliRuntime } from "../settings-options.ts";
import { COMMON_OPTIONS, parseCommandArgs, SETTINGS_OPTIONS } from "../options.ts";

export const usage = `Usage: herald send --events FILE|- [--subject-prefix] [--config FILE] [--ssm-prefix P] [--json]

Runs notification events through the send-notification Lambda's code path: each event is
sent once (an id already sent is skipped), left for a retry, or failed permanently.

FILE holds a JSON array of events or one event per line (NDJSON); "-" reads stdin. An
event is an EventBridge event with detail-type "Notification" or its bare detail
(examples/notification-event.schema.json).

Options:
      --events FILE|-    the events to send (required)
      --subject-prefix   put "[SiteName] " in front of every subject
  -c, --config FILE      Mattermost-shaped config.json (default: $HERALD_CONFIG_FILE)
      --ssm-prefix P     read SSM parameters under P (default: $HERALD_PARAMETER_PREFIX)
      --json             print the summary as JSON
  -h, --help             show this help

Sent ids are remembered in the DynamoDB table $HERALD_TABLE_NAME (AWS_ENDPOINT_URL_DYNAMODB
for a local one), shared with the Lambda; without it, in memory for this run only.

Exit codes: 0 nothing failed, 1 some event was not sent (retryable or permanent),
2 usage error, unreadable events file or settings.
`;

/**
 * Events in flight at once: twice the SMTP pool's connections, so that while every connection
 * carries a message the next ones are claimed and rendered, and a connection that gets its
 * reply starts the next message at once instead of waiting for it to be rendered.
 */
const SENDS_IN_FLIGHT = 2 * SMTP_POOL_CONNECTIONS;

interface InputRecord {
  /** "line 3" or "item 3": where the event came from, for messages */
  where: string;
  body: string;
}

/** A JSON array, one JSON object, or NDJSON (a line that is not JSON is that event's failure). */
export function readEvents(text: string, source: string): InputRecord[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  if (trimmed.startsWith("[")) {
    let items: unknown;
    try {
      items = JSON.parse(trimmed);
    } catch (error) {
      // V8's message quotes the events around the error: only the position is repeated
      const position = /at position (\d+)/.exec((error as Error).message)?.[1];
      const where = position === undefined ? "" : ` at position ${position}`;
      throw new UsageError(`${source} starts with "[" but is not a JSON array: syntax error${where}`);
    }
    if (!Array.isArray(items)) throw new UsageError(`${source} is not a JSON array`);
    return items.map((item, i) => ({ where: `item ${i + 1}`, body: JSON.stringify(item) }));
  }
  if (trimmed.startsWith("{")) {
    try {
      // a single (possibly pretty-printed) event
      return [{ where: "item 1", body: JSON.stringify(JSON.parse(trimmed)) }];
    } catch {
      // NDJSON: one event per line
    }
  }
  return text
    .split(/\r?\n/)
    .map((line, i) => ({ where: `line ${i + 1}`, body: line.trim() }))
    .filter((record) => record.body !== "");
}

async function readInput(path: string, io: CliIo): Promise<string> {
  try {
    if (path !== "-") return await readFile(path, "utf8");
    const stdin = stdinOf(io);
    // typed or pasted on a terminal: without a word, waiting for input looks like a hang
    if (stdin.isTTY) {
      io.stderr("reading notification events from standard input (one per line; Ctrl-D ends)\n");
    }
    return await text(stdin);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      `cannot read the events from ${path === "-" ? "stdin" : path}: ${describeError(error)}`,
    );
  }
}

/** "\r12/400 done: 10 sent, 1 duplicate, ..." on a terminal, at most a few times a second. */
function progressLine(
  total: number,
  io: CliIo,
): { update(done: readonly RecordOutcome[]): void; end(): void } {
  if (!io.stderrIsTTY || total < 2) return { update() {}, end() {} };
  let last = 0;
  let shown = false;
  return {
    // counted only when shown: counting every outcome after each one is quadratic
    update(done) {
      const now = Date.now();
      if (now - last < 200 && done.length < total) return;
      last = now;
      shown = true;
      const s = summarize(done, 0);
      io.stderr(
        `\r\x1b[K${s.events}/${total}: ${s.sent} sent, ${s.duplicates} duplicate, ${s.retryable} retryable, ${s.permanent} permanent`,
      );
    },
    end() {
      if (shown) io.stderr("\r\x1b[K");
    },
  };
}

function describeFailure(where: string, outcome: RecordOutcome): string | undefined {
  if (outcome.kind !== "retryable" && outcome.kind !== "permanent") return undefined;
  const id = outcome.id !== undefined ? ` (id ${printable(outcome.id)})` : "";
  const hint = outcome.hint ? `\n      hint: ${outcome.hint}` : "";
  // the Lambda's SQS retry would keep it; a CLI run does not: say so, or the event is lost unseen
  const lost =
    outcome.kind === "permanent" && outcome.deadLetter === "failed"
      ? "\n      NOT on the dead-letter queue: the queue refused it; keep the event and send it again"
      : "";
  return `  ${outcome.kind.padEnd(9)} ${where}${id}: ${printable(outcome.reason)}${hint}${lost}\n`;
}

export function formatSendSummary(s: SendSummary): string {
  const parts = [
    `${s.sent} sent`,
    `${s.duplicates} duplicate(s) skipped`,
    `${s.retryable} retryable`,
    `${s.permanent} permanent`,
  ];
  if (s.disabled > 0) parts.push(`${s.disabled} not sent (SendEmailNotifications is false)`);
  if (s.rejectedRecipients > 0) parts.push(`${s.rejectedRecipients} recipient(s) refused`);
  return `${s.events} event(s): ${parts.join(", ")} in ${s.seconds} s\n`;
}

export async function sendCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...COMMON_OPTIONS,
    ...SETTINGS_OPTIONS,
    events: { type: "string" },
    "subject-prefix": { type: "boolean" },
  });
  if (values.help) {
    io.stdout(usage);
    return EXIT_OK;
  }
  if (values.events === undefined || values.events.trim() === "") {
    throw new UsageError("--events FILE (or - for stdin) is required");
  }
  const records = readEvents(
    await readInput(values.events, io),
    values.events === "-" ? "stdin" : values.events,
  );
  const runtime = openCliRuntime(io, values, "herald-send");
  try {
    // a settings source that cannot be read at all is a usage problem, as in the other commands
    if (!(await loadSettingsOrReport(runtime.settingsSources, io))) return EXIT_USAGE;
    const pipeline = createNotificationPipeline(runtime, {
      // the CLI's stdout is its output: counts go into the summary, not EMF
      metrics: { addMetric: () => undefined },
      concurrency: SENDS_IN_FLIGHT,
      ...(values["subject-prefix"] ? { render: { subjectPrefix: true } } : {}),
    });
    const started = performance.now();
    const done: RecordOutcome[] = [];
    const failures: Array<[number, string]> = [];
    const progress = progressLine(records.length, io);
    const { outcomes } = await pipeline.processBatch(
      // the record's position is its message id: failures are reported by line or item
      { Records: records.map((record, i) => sqsRecord(record.body, String(i))) },
      {
        onOutcome: (outcome, messageId) => {
          done.push(outcome);
          progress.update(done);
          const index = Number(messageId);
          const failure = describeFailure(records[index]?.where ?? messageId, outcome);
          if (failure) failures.push([index, failure]);
        },
      },
    );
    progress.end();
    const summary = summarize(outcomes, (performance.now() - started) / 1000);
    if (failures.length > 0) {
      failures.sort((a, b) => a[0] - b[0]);
      io.stderr(`not sent:\n${failures.map(([, line]) => line).join("")}`);
    }
    if (values.json) printJson(io, summary);
    else io.stdout(formatSendSummary(summary));
    return summary.retryable === 0 && summary.permanent === 0 ? EXIT_OK : EXIT_FAILED;
  } finally {
    await runtime.close();
  }
}
