// Monitoring alone in a fresh stack: the encrypted alarm topic and its subscriptions, every
// alarm with its threshold and missing-data rule, the dashboard, and the send path's metric names.
import { Duration } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { Code, Function as LambdaFunction, Runtime } from "aws-cdk-lib/aws-lambda";
import { Topic } from "aws-cdk-lib/aws-sns";
import { Queue } from "aws-cdk-lib/aws-sqs";
import { afterAll, describe, expect, it } from "vitest";
import { Monitoring } from "../../lib/monitoring.ts";
import {
  BOUNCE_CATEGORY_DIMENSION,
  DELAY_TYPE_DIMENSION,
  FEEDBACK_METRIC_NAMES,
  STATUS_METRIC_NAMES,
} from "../../src/constants.ts";
import { METRIC } from "../../src/notifications/report.ts";
import { freshStack, logicalId, nagFindings, removeOutdirs, warningsAndErrors } from "../helpers/cdk.ts";

afterAll(removeOutdirs);

function build() {
  const stack = freshStack();
  const queue = new Queue(stack, "Queue", { enforceSSL: true });
  const dlq = new Queue(stack, "Dlq", { enforceSSL: true });
  const fn = new LambdaFunction(stack, "Fn", {
    runtime: Runtime.NODEJS_24_X,
    handler: "index.handler",
    code: Code.fromInline("export const handler = async () => {};"),
  });
  const monitoring = new Monitoring(stack, "Monitoring", {
    adminEmails: ["ops@example.com", "oncall@example.com"],
    notificationQueue: queue,
    deadLetterQueues: { Dead: dlq },
    functions: { Sender: fn },
    maxMessageAge: Duration.minutes(10),
  });
  return { stack, monitoring, queue, dlq, fn, template: Template.fromStack(stack) };
}

function alarms(template: Template) {
  return Object.values(template.findResources("AWS::CloudWatch::Alarm")).map((a) => a.Properties);
}

describe("Monitoring", () => {
  const s = build();

  it("emails every administrator through a KMS-encrypted topic", () => {
    s.template.hasResourceProperties("AWS::SNS::Topic", {
      KmsMasterKeyId: { "Fn::GetAtt": [logicalId(s.monitoring.topic.masterKey!), "Arn"] },
    });
    const endpoints = Object.values(s.template.findResources("AWS::SNS::Subscription")).map((r) => [
      r.Properties.Protocol,
      r.Properties.Endpoint,
    ]);
    expect(endpoints).toEqual([
      ["email", "ops@example.com"],
      ["email", "oncall@example.com"],
    ]);
  });

  it("lets CloudWatch publish to the encrypted topic", () => {
    s.template.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true });
    const key = s.template.toJSON().Resources[logicalId(s.monitoring.topic.masterKey!)].Properties.KeyPolicy;
    expect(key.Statement).toContainEqual(
      expect.objectContaining({
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      }),
    );
  });

  it("alarms on dead letters, errors, throttles, queue age, bounce and complaint rates, to the topic", () => {
    const found = alarms(s.template).map((a) => [
      a.Namespace,
      a.MetricName,
      a.ComparisonOperator,
      a.Threshold,
    ]);
    expect(found).toEqual([
      ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "GreaterThanOrEqualToThreshold", 1],
      ["AWS/Lambda", "Errors", "GreaterThanOrEqualToThreshold", 1],
      ["AWS/Lambda", "Throttles", "GreaterThanOrEqualToThreshold", 1],
      ["AWS/SQS", "ApproximateAgeOfOldestMessage", "GreaterThanOrEqualToThreshold", 600],
      ["AWS/SES", "Reputation.BounceRate", "GreaterThanThreshold", 0.04],
      ["AWS/SES", "Reputation.ComplaintRate", "GreaterThanThreshold", 0.0005], // before SES's 0.1% review
    ]);
    const topic = { Ref: logicalId(s.monitoring.topic) };
    for (const alarm of alarms(s.template)) {
      expect(alarm).toMatchObject({
        TreatMissingData: "notBreaching",
        AlarmActions: [topic],
        OKActions: [topic],
      });
    }
  });

  it("watches the right queues and function", () => {
    const dims = alarms(s.template).map((a) => a.Dimensions);
    expect(dims[0]).toEqual([
      { Name: "QueueName", Value: { "Fn::GetAtt": [logicalId(s.dlq), "QueueName"] } },
    ]);
    expect(dims[1]).toEqual([{ Name: "FunctionName", Value: { Ref: logicalId(s.fn) } }]);
    expect(dims[3]).toEqual([
      { Name: "QueueName", Value: { "Fn::GetAtt": [logicalId(s.queue), "QueueName"] } },
    ]);
    expect(dims[4]).toBeUndefined(); // SES reputation: account level
  });

  it("draws sends, failures, duplicates, queue age, dead letters, bounces, complaints and durations", () => {
    const [dashboard] = Object.values(s.template.findResources("AWS::CloudWatch::Dashboard"));
    const body = JSON.stringify(dashboard!.Properties.DashboardBody);
    for (const name of [
      METRIC.sent,
      METRIC.duplicate,
      METRIC.retryable,
      METRIC.permanent,
      "ApproximateAgeOfOldestMessage",
      "ApproximateNumberOfMessagesVisible",
      FEEDBACK_METRIC_NAMES.bounce,
      FEEDBACK_METRIC_NAMES.complaint,
      "Reputation.BounceRate",
      "Duration",
    ]) {
      expect(body).toContain(`\\"${name}\\"`);
    }
    expect(body).toContain('\\"service\\",\\"herald-send-notification\\"');
    expect(body).toContain('\\"service\\",\\"herald-feedback\\"');
  });

  it("draws the time to the inbox as p50 and p99, and bounces and delays per category", () => {
    const [dashboard] = Object.values(s.template.findResources("AWS::CloudWatch::Dashboard"));
    // the body is a join of strings and references: the references become placeholders
    const parts = (dashboard!.Properties.DashboardBody as { "Fn::Join": [string, unknown[]] })["Fn::Join"][1];
    const body = JSON.parse(parts.map((part) => (typeof part === "string" ? part : "REF")).join("")) as {
      widgets: { properties: { metrics?: unknown[][] } }[];
    };
    const metrics = body.widgets.flatMap((widget) => widget.properties.metrics ?? []);
    const drawn = (metric: string, service: string, stat: string) =>
      metrics.some((line) => {
        const options = line.at(-1) as { stat?: string };
        return line.includes(metric) && line.includes(service) && options.stat === stat;
      });
    // each latency from the function that emits it: the sender times SES's acceptance, the
    // feedback function the delivery
    for (const stat of ["p50", "p99"]) {
      expect(drawn(STATUS_METRIC_NAMES.timeToAccept, "herald-send-notification", stat), stat).toBe(true);
      expect(drawn(STATUS_METRIC_NAMES.timeToDelivery, "herald-feedback", stat), stat).toBe(true);
    }
    const searches = metrics.map((line) => JSON.stringify(line)).filter((line) => line.includes("SEARCH("));
    for (const [metric, dimension] of [
      [STATUS_METRIC_NAMES.bouncesByCategory, BOUNCE_CATEGORY_DIMENSION],
      [STATUS_METRIC_NAMES.delaysByType, DELAY_TYPE_DIMENSION],
    ] as const) {
      expect(searches.some((line) => line.includes(dimension) && line.includes(metric))).toBe(true);
    }
  });

  it("passes cdk-nag (its own resources; the queues and function here are fixtures) and raises no CDK warning", () => {
    expect(nagFindings(s.monitoring)).toEqual([]);
    expect(warningsAndErrors(s.stack)).toEqual([]);
  });

  it("works with nothing but the administrators: the SES alarms and the topic", () => {
    const stack = freshStack();
    new Monitoring(stack, "M", { adminEmails: ["ops@example.com"] });
    expect(alarms(Template.fromStack(stack)).map((a) => a.MetricName)).toEqual([
      "Reputation.BounceRate",
      "Reputation.ComplaintRate",
    ]);
    expect(nagFindings(stack)).toEqual([]);
  });

  it.each([
    [{ adminEmails: [] }, "Monitoring: adminEmails [] is empty"],
    [{ adminEmails: ["root"] }, 'Monitoring: adminEmails "root" is not an email address'],
    [
      { adminEmails: ["a@example.com"], bounceRateThreshold: 5 },
      "Monitoring: bounceRateThreshold 5 is not a rate",
    ],
  ])("refuses %j", (props, message) => {
    expect(() => new Monitoring(freshStack(), "M", props)).toThrow(message);
  });

  it("alarms to an existing topic: no topic or key of its own, no subscription without adminEmails", () => {
    const stack = freshStack();
    const topic = Topic.fromTopicArn(stack, "Topic", "arn:aws:sns:eu-west-1:111111111111:ops-alarms");
    const monitoring = new Monitoring(stack, "M", { topic, adminEmails: [] });
    expect(monitoring.topic).toBe(topic);
    const template = Template.fromStack(stack);
    template.resourceCountIs("AWS::SNS::Topic", 0);
    template.resourceCountIs("AWS::KMS::Key", 0);
    template.resourceCountIs("AWS::SNS::Subscription", 0);
    for (const alarm of alarms(template))
      expect(alarm.AlarmActions).toEqual(["arn:aws:sns:eu-west-1:111111111111:ops-alarms"]);
  });
});
