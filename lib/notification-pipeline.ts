// The notification pipeline: applications put "Notification" events on an EventBridge bus; a
// rule queues them (SQS, KMS encrypted, TLS only) with a dead-letter queue; send-notification
// consumes them with partial batch responses, at a concurrency derived from the sending rate;
// a DynamoDB table holds the idempotency records that make each notification go out once.
import { Duration, Lazy, Validations } from "aws-cdk-lib";
import { EventBus, Rule, type IEventBus } from "aws-cdk-lib/aws-events";
import { SqsQueue } from "aws-cdk-lib/aws-events-targets";
import {
  AnyPrincipal,
  Effect,
  PolicyStatement,
  Role,
  ServicePrincipal,
  User,
  type Grant,
  type IGrantable,
  type IPrincipal,
} from "aws-cdk-lib/aws-iam";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { MAX_RECEIVE_COUNT, SEND_FUNCTION_TIMEOUT_SECONDS, SERVICE_NAMES } from "../src/constants.ts";
import { LAMBDA_MAX_TIMEOUT_SECONDS } from "../src/send-timing.ts";
import {
  SEND_RATE_LIMITS,
  DEAD_LETTER_QUEUE_URL_ENV,
  DEFAULT_MAX_SEND_RATE,
  DEFAULT_TRANSPORT,
  MAX_SEND_RATE_ENV,
  NOTIFICATION_DETAIL_TYPE,
  PARAMETER_PREFIX_ENV,
  TABLE_NAME_ENV,
  TRANSPORT_ENV,
  TRANSPORTS,
  type Transport,
} from "../src/constants.ts";
import type { IEmailSettings } from "./email-settings-parameters.ts";
import { createKey } from "./private/key.ts";
import { HeraldFunction, type HeraldFunctionOptions } from "./private/herald-function.ts";
import { wireSending } from "./private/sending.ts";
import { createHeraldTable, grantItemCalls } from "./private/table.ts";
import { check, checkTransport, HeraldConfigError } from "./private/validate.ts";
import type { ISendingIdentity } from "./sending-domain.ts";

/** SES's sending rate for a new production account (the one fact, in src/constants.ts). */
export { DEFAULT_MAX_SEND_RATE };

/** What one function instance sends per second, comfortably, over a pooled connection. */
export const SENDS_PER_INSTANCE = 10;

/** SQS event source limits on maximum concurrency. */
const MIN_CONCURRENCY = 2;
const MAX_CONCURRENCY = 1000;

/**
 * How the account-wide rate is shared: at most `maxConcurrency` instances, each held to
 * `perInstanceRate` emails per second, so that together they never exceed `maxSendRate`.
 */
export function sendingConcurrency(maxSendRate: number): { maxConcurrency: number; perInstanceRate: number } {
  const maxConcurrency = Math.min(
    MAX_CONCURRENCY,
    Math.max(MIN_CONCURRENCY, Math.ceil(maxSendRate / SENDS_PER_INSTANCE)),
  );
  // Rounded down: the sum of the instances' rates stays at or under the total.
  const perInstanceRate = Math.floor((maxSendRate / maxConcurrency) * 1000) / 1000;
  return { maxConcurrency, perInstanceRate };
}

export interface NotificationPipelineProps extends HeraldFunctionOptions {
  /** The settings the sender reads (prefix and key). */
  readonly settings: IEmailSettings;
  /**
   * How mail leaves: `ses-smtp` and `smtp` over SMTP with the settings, `ses-api` through the
   * SES v2 API with the function's role (then `sendingIdentity` is required).
   * @default "ses-smtp"
   */
  readonly transport?: Transport;
  /**
   * The SES identity and configuration set: `ses-api` sends through them (and the function may).
   * @default - none (required for `ses-api`)
   */
  readonly sendingIdentity?: ISendingIdentity;
  /**
   * Emails per second across all senders: SES's sending rate. Sets the SQS maximum
   * concurrency and each instance's rate limit (see {@link sendingConcurrency}).
   * @default 14
   */
  readonly maxSendRate?: number;
  /**
   * The bus applications put Notification events on.
   * @default - a new event bus
   */
  readonly eventBus?: IEventBus;
  /**
   * The table for idempotency records.
   * @default - a new table (on-demand, TTL, point-in-time recovery)
   */
  readonly table?: ITable;
  /**
   * Deletion protection of the table this construct creates (it is then also kept on stack deletion).
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * The send-notification function's timeout; the queue's visibility timeout is 6 times it.
   * A send starts only when its whole bound (4 x SMTPServerTimeout over SMTP) fits before it.
   * @default Duration.seconds(SEND_FUNCTION_TIMEOUT_SECONDS)
   */
  readonly functionTimeout?: Duration;
  /**
   * The `source` values the rule accepts (an allowlist of your applications' event sources).
   * @default - any source
   */
  readonly allowedSources?: readonly string[];
  /**
   * Adds a bus policy that denies events:PutEvents to every principal not granted through
   * {@link NotificationPipeline.grantPutEvents} (an IAM policy with `events:PutEvents` on `*`
   * no longer lets a principal make Herald send mail). Needs a bus this construct can change.
   * @default false
   */
  readonly restrictPutEvents?: boolean;
  /**
   * Records per batch.
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * The key of the queues.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: IKey;
}

export class NotificationPipeline extends Construct {
  readonly eventBus: IEventBus;
  readonly rule: Rule;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly table: ITable;
  readonly encryptionKey: IKey;
  /** lambdas/send-notification.ts */
  readonly sender: HeraldFunction;
  readonly maxConcurrency: number;
  readonly perInstanceRate: number;
  /** ARNs of the principals granted PutEvents through grantPutEvents. */
  private readonly producers: string[] = [];

  constructor(scope: Construct, id: string, props: NotificationPipelineProps) {
    super(scope, id);
    const name = "NotificationPipeline";
    const transport = props.transport ?? DEFAULT_TRANSPORT;
    checkTransport(name, transport, props.sendingIdentity, TRANSPORTS);
    const maxSendRate = props.maxSendRate ?? DEFAULT_MAX_SEND_RATE;
    check(
      name,
      "maxSendRate",
      maxSendRate,
      Number.isFinite(maxSendRate) && maxSendRate > 0,
      "is not a positive number of emails per second",
    );
    const batchSize = props.batchSize ?? 10;
    check(
      name,
      "batchSize",
      batchSize,
      Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 10,
      "is not an integer from 1 to 10",
    );
    const timeout = props.functionTimeout ?? Duration.seconds(SEND_FUNCTION_TIMEOUT_SECONDS);
    check(
      name,
      "functionTimeout",
      `${timeout.toSeconds()} s`,
      timeout.toSeconds() <= LAMBDA_MAX_TIMEOUT_SECONDS,
      `is more than Lambda's ${LAMBDA_MAX_TIMEOUT_SECONDS} s: lower SMTPServerTimeout (a send takes 4 of them)`,
    );
    ({ maxConcurrency: this.maxConcurrency, perInstanceRate: this.perInstanceRate } =
      sendingConcurrency(maxSendRate));
    // Each instance gets HERALD_MAX_SEND_RATE = perInstanceRate, which the runtime checks at start.
    check(
      name,
      "maxSendRate",
      maxSendRate,
      this.perInstanceRate >= SEND_RATE_LIMITS.min && this.perInstanceRate <= SEND_RATE_LIMITS.max,
      `gives each of ${this.maxConcurrency} instances ${this.perInstanceRate} emails per second, outside ${SEND_RATE_LIMITS.min}..${SEND_RATE_LIMITS.max}`,
    );

    this.encryptionKey = props.encryptionKey ?? createKey(this, "Key", "encrypts the notification queues");
    this.deadLetterQueue = new Queue(this, "DeadLetterQueue", {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, "Queue", {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.encryptionKey,
      enforceSSL: true,
      // AWS's advice for Lambda consumers: at least 6 times the function's timeout.
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    this.eventBus =
      props.eventBus ?? new EventBus(this, "Bus", { description: "Herald: put Notification events here" });
    this.rule = new Rule(this, "Rule", {
      eventBus: this.eventBus,
      description: `Herald: ${NOTIFICATION_DETAIL_TYPE} events -> the send queue`,
      eventPattern: {
        detailType: [NOTIFICATION_DETAIL_TYPE],
        ...(props.allowedSources ? { source: [...props.allowedSources] } : {}),
      },
      targets: [new SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue })],
    });
    // The target's queue policy lets EventBridge send for any rule of the account (the CDK's
    // same-account condition is aws:SourceAccount only): any rule there could feed the send
    // queue. Only this rule may.
    for (const queue of [this.queue, this.deadLetterQueue]) {
      queue.addToResourcePolicy(
        new PolicyStatement({
          sid: "OnlyHeraldsRule",
          effect: Effect.DENY,
          principals: [new ServicePrincipal("events.amazonaws.com")],
          actions: ["sqs:SendMessage"],
          resources: [queue.queueArn],
          conditions: { ArnNotEquals: { "aws:SourceArn": this.rule.ruleArn } },
        }),
      );
    }

    if (props.restrictPutEvents) {
      if (!(this.eventBus instanceof EventBus)) {
        throw new HeraldConfigError(
          "NotificationPipeline: restrictPutEvents needs an EventBus of this app (its policy is changed): pass one, or leave eventBus unset",
        );
      }
      this.eventBus.addToResourcePolicy(
        new PolicyStatement({
          sid: "OnlyGrantedProducers",
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          actions: ["events:PutEvents"],
          resources: [this.eventBus.eventBusArn],
          conditions: {
            ArnNotEquals: { "aws:PrincipalArn": Lazy.list({ produce: () => this.producers }) },
          },
        }),
      );
    }

    this.table = props.table ?? createHeraldTable(this, "Table", props.deletionProtection ?? true);

    this.sender = new HeraldFunction(this, "Sender", {
      entry: "lambdas/send-notification.ts",
      description: "Herald: sends Notification events from the queue, exactly once each",
      serviceName: SERVICE_NAMES.sendNotification,
      timeout,
      memorySize: 512,
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      environment: {
        [TRANSPORT_ENV]: transport,
        [PARAMETER_PREFIX_ENV]: props.settings.parameterPrefix,
        [TABLE_NAME_ENV]: this.table.tableName,
        [DEAD_LETTER_QUEUE_URL_ENV]: this.deadLetterQueue.queueUrl,
        [MAX_SEND_RATE_ENV]: String(this.perInstanceRate),
      },
    });
    const role = this.sender.role;
    props.settings.grantRead(role);
    grantItemCalls(this.table, role);
    // Permanent failures go to the dead-letter queue: SendMessage, and the key to encrypt them.
    this.deadLetterQueue.grant(role, "sqs:SendMessage");
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["kms:GenerateDataKey", "kms:Decrypt"],
        resources: [this.encryptionKey.keyArn],
      }),
    );
    wireSending(this.sender, transport, props.sendingIdentity);
    this.sender.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: this.maxConcurrency,
      }),
    );

    Validations.of(this.deadLetterQueue).acknowledge({
      id: "AwsSolutions-SQS3",
      reason:
        "This is the dead-letter queue of the notification queue (and of the rule's target): it has none itself.",
    });
  }

  /**
   * Lets a producer (a role or user of this account) put Notification events on the bus; with
   * `restrictPutEvents`, only producers granted here may.
   */
  grantPutEvents(grantee: IGrantable): Grant {
    const principal = grantee.grantPrincipal;
    const arn = principalArn(principal);
    if (arn === undefined) {
      throw new HeraldConfigError(
        "NotificationPipeline.grantPutEvents: give a role or a user (its ARN goes into the bus policy)",
      );
    }
    if (!this.producers.includes(arn)) this.producers.push(arn);
    return this.eventBus.grantPutEventsTo(grantee);
  }

  /** An `aws events put-events` command that sends one Notification (for a README or an output). */
  get putEventsExample(): string {
    return putEventsCommand(this.eventBus.eventBusName);
  }
}

/** `aws events put-events` with one Notification event on `busName`. */
export function putEventsCommand(busName: string): string {
  const detail = JSON.stringify({
    id: "hello-1",
    to: ["you@example.com"],
    subject: "Hello",
    text: "Sent through Herald",
  });
  const entries = JSON.stringify([
    { EventBusName: busName, Source: "my.app", DetailType: NOTIFICATION_DETAIL_TYPE, Detail: detail },
  ]);
  return `aws events put-events --entries '${entries}'`;
}

function principalArn(principal: IPrincipal): string | undefined {
  if (principal instanceof Role) return principal.roleArn;
  if (principal instanceof User) return principal.userArn;
  const arn = (principal as { roleArn?: string }).roleArn;
  return arn;
}
