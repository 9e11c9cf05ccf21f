/**
 * The send-notification path as the Lambda and `herald send` share it: built once per
 * container (or CLI run) from the runtime, it runs SQS batches through the processor with
 * the settings of the moment.
 */
import type { Context, SQSEvent } from "aws-lambda";
import type { BasePersistenceLayer } from "@aws-lambda-powertools/idempotency/persistence";
import { SEND_RESPONSE_MARGIN_MS, type Transport } from "../constants.ts";
import type { MailTransport } from "../mail/transport.ts";
import type { RenderNotificationOptions } from "./render-notification.ts";
import type { Runtime } from "../runtime.ts";
import type { LoadedSettings } from "../settings/load.ts";
import { validateLoadedSettings } from "../settings/validate.ts";
import { blockingErrors } from "../transport-needs.ts";
import { processNotificationBatch, type BatchResult } from "./batch.ts";
import { sqsDeadLetterQueue } from "./dead-letter.ts";
import { dynamoDbPersistence, InMemoryPersistenceLayer } from "./idempotency.ts";
import type { RecordOutcome } from "./outcome.ts";
import { parseNotificationEvent } from "./parse.ts";
import { createNotificationProcessor, type NotificationProcessor } from "./process.ts";
import type { MetricsSink } from "./report.ts";
import { createRateLimiter } from "./rate-limiter.ts";
import { createStatusRecorder } from "./status-recorder.ts";
import { openStatusStore } from "../status/open.ts";
import type { StatusStore } from "../status/store.ts";

/** What the pipeline takes from the runtime. */
export type PipelineRuntime = Pick<
  Runtime,
  "config" | "env" | "logger" | "metrics" | "loadSettings" | "transport" | "dynamodb" | "loadSqs"
>;

export interface PipelineOptions {
  /** sends in flight at once within a batch. @default DEFAULT_SEND_CONCURRENCY */
  concurrency?: number;
  render?: RenderNotificationOptions;
  /** idempotency records. @default the HERALD_TABLE_NAME table, else in memory */
  persistence?: BasePersistenceLayer;
  /** where counts go. @default the runtime's Powertools Metrics (EMF) */
  metrics?: MetricsSink;
  /** status records. @default in the HERALD_TABLE_NAME table, none without one */
  status?: StatusStore;
}

export interface BatchOptions {
  context?: Context;
  /** epoch ms: no send starts after it */
  deadline?: number;
  /** epoch ms when the invocation ends: claims are held until then. @default deadline */
  invocationEnd?: number;
  /** called as each record finishes, with its SQS message id */
  onOutcome?: (outcome: RecordOutcome, messageId: string) => void;
}

export interface NotificationPipeline {
  processBatch(event: SQSEvent, options?: BatchOptions): Promise<BatchResult>;
  /** where idempotency records live: "dynamodb:<table>" or "memory" */
  readonly store: string;
}

/** Why no notification can be sent with these settings (errors only), or undefined. */
export function settingsBlocker(loaded: LoadedSettings, transport: Transport): string | undefined {
  const errors = blockingErrors(validateLoadedSettings(loaded).problems, transport);
  if (errors.length === 0) return undefined;
  return errors.map((p) => `${p.setting}: ${p.message} (fix: ${p.fix})`).join("; ");
}

/**
 * Every record retryable with the same reason: the settings cannot be read or are invalid.
 * That is the configuration's fault, not the events': SQS keeps them until it is fixed
 * (or its redrive policy moves them on). Invalid events still go to the dead-letter queue.
 */
function blockedProcessor(reason: string, fallback: NotificationProcessor): NotificationProcessor {
  return {
    async process(record) {
      const parsed = parseNotificationEvent(record.body);
      if (!parsed.ok) return fallback.process(record);
      return { kind: "retryable", id: parsed.notification.id, code: "ESETTINGS", reason };
    },
  };
}

export function createNotificationPipeline(
  runtime: PipelineRuntime,
  options: PipelineOptions = {},
): NotificationPipeline {
  const { config, logger } = runtime;
  const metrics = options.metrics ?? runtime.metrics;
  const rateLimiter = createRateLimiter({ perSecond: config.maxSendRate });
  // Store calls end with the batch's invocation (one batch at a time per container).
  let callsEndAt: number | undefined;
  const persistence =
    options.persistence ??
    (config.tableName
      ? dynamoDbPersistence(runtime.dynamodb(), config.tableName, () => callsEndAt)
      : new InMemoryPersistenceLayer());
  const statusStore = options.status ?? openStatusStore(runtime, () => callsEndAt);
  const status = statusStore
    ? createStatusRecorder({ store: statusStore, transport: config.transport, logger, metrics })
    : undefined;
  const deadLetters = config.deadLetterQueueUrl
    ? sqsDeadLetterQueue(() => runtime.loadSqs(), config.deadLetterQueueUrl)
    : undefined;

  return {
    store: options.persistence ? "custom" : config.tableName ? `dynamodb:${config.tableName}` : "memory",
    async processBatch(event, batchOptions = {}) {
      callsEndAt =
        batchOptions.invocationEnd === undefined
          ? undefined
          : batchOptions.invocationEnd - SEND_RESPONSE_MARGIN_MS;
      const loaded = await runtime.loadSettings();
      const settings = loaded.settings;
      const enabled = settings.EmailSettings.SendEmailNotifications;
      const blocker =
        loaded.inputErrors.length > 0 || enabled ? settingsBlocker(loaded, config.transport) : undefined;
      // asked once per batch (the runtime compares the settings with its transport's each time)
      let transport: MailTransport | undefined;
      const processor = createNotificationProcessor({
        settings,
        transport: () => (transport ??= runtime.transport(settings)),
        persistence,
        rateLimiter,
        unknownOutcome: config.unknownOutcome,
        ...(deadLetters ? { deadLetters } : {}),
        ...(status ? { status } : {}),
        logger,
        metrics,
        ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
        ...(options.render ? { render: options.render } : {}),
        ...(batchOptions.deadline !== undefined ? { deadline: batchOptions.deadline } : {}),
        ...(batchOptions.invocationEnd !== undefined ? { invocationEnd: batchOptions.invocationEnd } : {}),
      });
      if (blocker) {
        logger.error("the settings cannot send notifications; the batch is left for a retry", {
          event: "notification.settings-invalid",
          reason: blocker,
        });
      }
      return processNotificationBatch(event, blocker ? blockedProcessor(blocker, processor) : processor, {
        ...(batchOptions.context ? { context: batchOptions.context } : {}),
        ...(batchOptions.onOutcome ? { onOutcome: batchOptions.onOutcome } : {}),
      });
    },
  };
}
