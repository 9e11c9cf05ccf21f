// Monitoring: an SNS topic (KMS encrypted, TLS only) that emails the administrators; alarms for
// a dead-letter queue that is not empty, Lambda errors and throttles, the age of the oldest
// queued notification and SES's bounce and complaint rates; a dashboard of sends, failures,
// duplicates, queue age, dead letters, bounces, complaints, durations and time to the inbox.
import { ArnFormat, Aws, Duration, Stack } from "aws-cdk-lib";
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TreatMissingData,
  type IMetric,
} from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Topic, type ITopic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import {
  BOUNCE_CATEGORY_DIMENSION,
  DELAY_TYPE_DIMENSION,
  FEEDBACK_METRIC_NAMES,
  METRICS_NAMESPACE,
  SERVICE_NAMES,
  STATUS_METRIC_NAMES,
} from "../src/constants.ts";
import { createKey } from "./private/key.ts";
import { check, checkAdminEmails } from "./private/validate.ts";

/** SES reviews an account at a 5% bounce rate and a 0.1% complaint rate: alarm before that. */
export const DEFAULT_BOUNCE_RATE_THRESHOLD = 0.04;
export const DEFAULT_COMPLAINT_RATE_THRESHOLD = 0.0005;
/** SES's review points: a threshold at or above them alarms too late. */
export const SES_REVIEW_RATES = { bounce: 0.05, complaint: 0.001 } as const;

/** The send path's metrics (Powertools, dimension `service`), as lambdas/send-notification.ts emits them. */
const SEND_SERVICE = SERVICE_NAMES.sendNotification;
const SEND_METRICS = {
  sent: "Sent",
  duplicate: "Duplicate",
  retryable: "Retryable",
  permanent: "Permanent",
} as const;
const FEEDBACK_SERVICE = SERVICE_NAMES.feedback;

export interface MonitoringProps {
  /** Who is emailed when an alarm fires (each confirms the SNS subscription once). */
  readonly adminEmails: readonly string[];
  /**
   * The notification queue: an alarm on the age of its oldest message.
   * @default - no queue alarm
   */
  readonly notificationQueue?: IQueue;
  /**
   * Dead-letter queues: an alarm as soon as one holds a message.
   * @default - none
   */
  readonly deadLetterQueues?: Record<string, IQueue>;
  /**
   * Functions, by label: alarms on errors and throttles, durations on the dashboard.
   * @default - none
   */
  readonly functions?: Record<string, IFunction>;
  /**
   * How old the oldest queued notification may get before the alarm.
   * @default Duration.minutes(15)
   */
  readonly maxMessageAge?: Duration;
  /**
   * Alarm when SES's Reputation.BounceRate goes above it (below SES's 5% review point).
   * @default 0.04
   */
  readonly bounceRateThreshold?: number;
  /**
   * Alarm when SES's Reputation.ComplaintRate goes above it (below SES's 0.1% review point).
   * @default 0.0005
   */
  readonly complaintRateThreshold?: number;
  /**
   * The dashboard's name.
   * @default - generated
   */
  readonly dashboardName?: string;
  /**
   * An SNS topic that already exists for the alarms (e.g. `Topic.fromTopicArn(...)`). Its
   * policy (and its key's, when encrypted) must let `cloudwatch.amazonaws.com` publish: an
   * imported topic's policy is not changed here. `adminEmails` are subscribed to it too.
   * @default - a new KMS-encrypted topic that CloudWatch may publish to for these alarms
   */
  readonly topic?: ITopic;
}

export class Monitoring extends Construct {
  readonly topic: ITopic;
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const name = "Monitoring";
    // With an existing topic, subscribing administrators is optional.
    if (props.topic === undefined || props.adminEmails.length > 0) checkAdminEmails(name, props.adminEmails);
    const bounceRate = props.bounceRateThreshold ?? DEFAULT_BOUNCE_RATE_THRESHOLD;
    const complaintRate = props.complaintRateThreshold ?? DEFAULT_COMPLAINT_RATE_THRESHOLD;
    check(
      name,
      "bounceRateThreshold",
      bounceRate,
      bounceRate > 0 && bounceRate < SES_REVIEW_RATES.bounce,
      `is not a rate above 0 and below SES's review point ${SES_REVIEW_RATES.bounce} (5%), e.g. 0.04`,
    );
    check(
      name,
      "complaintRateThreshold",
      complaintRate,
      complaintRate > 0 && complaintRate < SES_REVIEW_RATES.complaint,
      `is not a rate above 0 and below SES's review point ${SES_REVIEW_RATES.complaint} (0.1%), e.g. 0.0005`,
    );

    const cloudwatch = new ServicePrincipal("cloudwatch.amazonaws.com");
    this.topic = props.topic ?? this.createTopic(cloudwatch);
    for (const address of props.adminEmails) this.topic.addSubscription(new EmailSubscription(address));
    this.action = new SnsAction(this.topic);

    const fiveMinutes = Duration.minutes(5);
    for (const [label, queue] of Object.entries(props.deadLetterQueues ?? {})) {
      this.alarm(`${label}NotEmpty`, sqsMetric(queue, "ApproximateNumberOfMessagesVisible", "Maximum"), {
        threshold: 1,
        description: `Herald: ${label} holds messages that could not be processed; inspect and re-drive them`,
      });
    }
    for (const [label, fn] of Object.entries(props.functions ?? {})) {
      this.alarm(`${label}Errors`, fn.metricErrors({ period: fiveMinutes, statistic: "Sum" }), {
        threshold: 1,
        description: `Herald: the ${label} function failed; see its log group`,
      });
      this.alarm(`${label}Throttles`, fn.metricThrottles({ period: fiveMinutes, statistic: "Sum" }), {
        threshold: 1,
        description: `Herald: the ${label} function was throttled; check the account's Lambda concurrency`,
      });
    }
    if (props.notificationQueue) {
      const maxAge = props.maxMessageAge ?? Duration.minutes(15);
      this.alarm(
        "OldestNotificationAge",
        sqsMetric(props.notificationQueue, "ApproximateAgeOfOldestMessage", "Maximum"),
        {
          threshold: maxAge.toSeconds(),
          description: `Herald: a notification has waited more than ${maxAge.toHumanString()} in the queue (sending stalled or too slow)`,
        },
      );
    }
    this.alarm("SesBounceRate", sesMetric("Reputation.BounceRate"), {
      threshold: bounceRate,
      above: true,
      description: `Herald: SES bounce rate above ${bounceRate * 100}% (SES reviews accounts at 5%)`,
    });
    this.alarm("SesComplaintRate", sesMetric("Reputation.ComplaintRate"), {
      threshold: complaintRate,
      above: true,
      description: `Herald: SES complaint rate above ${complaintRate * 100}% (SES reviews accounts at 0.1%)`,
    });

    const herald = (metricName: string, service: string, label: string) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service },
        statistic: "Sum",
        period: fiveMinutes,
        label,
      });
    const functions = Object.entries(props.functions ?? {});
    // A topic policy replaces SNS's default one: without this statement CloudWatch may not
    // publish, and no alarm email would ever arrive. Only these alarms, of this account.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: "CloudWatchAlarmsPublish",
        principals: [cloudwatch],
        actions: ["sns:Publish"],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID },
          ArnLike: { "aws:SourceArn": this.alarms.map((a) => a.alarmArn) },
        },
      }),
    );

    this.dashboard = new Dashboard(this, "Dashboard", {
      ...(props.dashboardName ? { dashboardName: props.dashboardName } : {}),
      widgets: [
        [
          new GraphWidget({
            title: "Notifications",
            left: [
              herald(SEND_METRICS.sent, SEND_SERVICE, "sent"),
              herald(SEND_METRICS.duplicate, SEND_SERVICE, "duplicates"),
              herald(SEND_METRICS.retryable, SEND_SERVICE, "retryable failures"),
              herald(SEND_METRICS.permanent, SEND_SERVICE, "permanent failures"),
            ],
            width: 12,
          }),
          new GraphWidget({
            title: "Queue",
            left: props.notificationQueue
              ? [
                  sqsMetric(
                    props.notificationQueue,
                    "ApproximateAgeOfOldestMessage",
                    "Maximum",
                    "oldest message (s)",
                  ),
                ]
              : [],
            right: Object.entries(props.deadLetterQueues ?? {}).map(([label, queue]) =>
              sqsMetric(queue, "ApproximateNumberOfMessagesVisible", "Maximum", `${label} depth`),
            ),
            width: 12,
          }),
        ],
        [
          new GraphWidget({
            title: "SES feedback",
            left: [
              herald(FEEDBACK_METRIC_NAMES.bounce, FEEDBACK_SERVICE, "bounces"),
              herald(FEEDBACK_METRIC_NAMES.complaint, FEEDBACK_SERVICE, "complaints"),
              herald(FEEDBACK_METRIC_NAMES.reject, FEEDBACK_SERVICE, "rejects"),
              herald(FEEDBACK_METRIC_NAMES.deliveryDelay, FEEDBACK_SERVICE, "delivery delays"),
            ],
            right: [
              sesMetric("Reputation.BounceRate", "bounce rate"),
              sesMetric("Reputation.ComplaintRate", "complaint rate"),
            ],
            width: 12,
          }),
          new GraphWidget({
            title: "Durations (p99, ms)",
            left: functions.map(([label, fn]) =>
              fn.metricDuration({ statistic: "p99", period: fiveMinutes, label }),
            ),
            width: 12,
          }),
        ],
      ],
    });
    this.addTimeToInbox(fiveMinutes);
  }

  /** Time to the inbox (p50/p99) and bounces and delays per category: the status records' metrics. */
  private addTimeToInbox(period: Duration): void {
    const latency = (metricName: string, service: string, statistic: string, label: string) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service },
        statistic,
        period,
        label,
      });
    const perCategory = (metricName: string, dimension: string, service: string, label: string) =>
      new MathExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE},${dimension},service} MetricName="${metricName}" service="${service}"', 'Sum', ${period.toSeconds()})`,
        label,
        period,
      });
    const { timeToAccept, timeToDelivery, bouncesByCategory, delaysByType } = STATUS_METRIC_NAMES;
    this.dashboard.addWidgets(
      new GraphWidget({
        title: "Time to inbox (ms): event to SES accepting, SES accepting to delivery",
        left: [
          latency(timeToAccept, SEND_SERVICE, "p50", "to SES p50"),
          latency(timeToAccept, SEND_SERVICE, "p99", "to SES p99"),
          latency(timeToDelivery, FEEDBACK_SERVICE, "p50", "to inbox p50"),
          latency(timeToDelivery, FEEDBACK_SERVICE, "p99", "to inbox p99"),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: "Bounces and delivery delays per category",
        left: [perCategory(bouncesByCategory, BOUNCE_CATEGORY_DIMENSION, FEEDBACK_SERVICE, "bounces")],
        right: [perCategory(delaysByType, DELAY_TYPE_DIMENSION, FEEDBACK_SERVICE, "delays")],
        width: 12,
      }),
    );
  }

  /** The alarm topic, KMS encrypted: CloudWatch may use its key for this account's alarms only. */
  private createTopic(cloudwatch: ServicePrincipal): Topic {
    const key = createKey(this, "Key", "encrypts the alarm topic");
    const alarmsOfAccount = Stack.of(this).formatArn({
      service: "cloudwatch",
      resource: "alarm",
      resourceName: "*",
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [cloudwatch],
        actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
        resources: ["*"],
        conditions: {
          StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID },
          ArnLike: { "aws:SourceArn": alarmsOfAccount },
        },
      }),
    );
    return new Topic(this, "Topic", {
      displayName: "Herald alarms",
      masterKey: key,
      enforceSSL: true,
    });
  }

  private alarm(
    id: string,
    metric: IMetric,
    options: { threshold: number; description: string; above?: boolean },
  ): Alarm {
    const alarm = new Alarm(this, id, {
      metric,
      threshold: options.threshold,
      evaluationPeriods: 1,
      comparisonOperator: options.above
        ? ComparisonOperator.GREATER_THAN_THRESHOLD
        : ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: options.description,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }
}

function sqsMetric(queue: IQueue, metricName: string, statistic: string, label?: string): Metric {
  return new Metric({
    namespace: "AWS/SQS",
    metricName,
    dimensionsMap: { QueueName: queue.queueName },
    statistic,
    period: Duration.minutes(5),
    ...(label ? { label } : {}),
  });
}

/** SES's account-level reputation metrics (updated by SES about hourly). */
function sesMetric(metricName: string, label?: string): Metric {
  return new Metric({
    namespace: "AWS/SES",
    metricName,
    statistic: "Maximum",
    period: Duration.minutes(15),
    ...(label ? { label } : {}),
  });
}
