// NotificationPipeline alone in a fresh stack: bus, rule, encrypted queues, the sender with
// partial batch responses and a concurrency derived from the sending rate, the table.
import { Duration } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { afterAll, describe, expect, it } from "vitest";
import { EmailSettingsParameters } from "../../lib/email-settings-parameters.ts";
import {
  NotificationPipeline,
  putEventsCommand,
  sendingConcurrency,
} from "../../lib/notification-pipeline.ts";
import { SendingDomain } from "../../lib/sending-domain.ts";
import {
  CONFIGURATION_SET_ENV,
  DEAD_LETTER_QUEUE_URL_ENV,
  MAX_SEND_RATE_ENV,
  PARAMETER_PREFIX_ENV,
  TABLE_NAME_ENV,
  TRANSPORT_ENV,
} from "../../src/constants.ts";
import {
  allowedActions,
  freshStack,
  logicalId,
  nagFindings,
  removeOutdirs,
  statementsOf,
  warningsAndErrors,
} from "../helpers/cdk.ts";

afterAll(removeOutdirs);

function build(props: Partial<ConstructorParameters<typeof NotificationPipeline>[2]> = {}) {
  const stack = freshStack();
  const settings = EmailSettingsParameters.fromParameterPrefix(stack, "Settings", "/herald");
  const pipeline = new NotificationPipeline(stack, "Pipeline", { settings, ...props });
  return { stack, pipeline, template: Template.fromStack(stack) };
}

function functionProps(template: Template, pipeline: NotificationPipeline) {
  return template.toJSON().Resources[logicalId(pipeline.sender.function)].Properties;
}

describe("sendingConcurrency", () => {
  it.each([
    [1, 2, 0.5],
    [14, 2, 7],
    [50, 5, 10],
    [100, 10, 10],
    [278, 28, 9.928],
    [100_000, 1000, 100],
  ])(
    "shares %d emails/s as %d instances at %d each, never more in total",
    (rate, concurrency, perInstance) => {
      const result = sendingConcurrency(rate);
      expect(result).toEqual({ maxConcurrency: concurrency, perInstanceRate: perInstance });
      expect(result.maxConcurrency * result.perInstanceRate).toBeLessThanOrEqual(rate);
    },
  );
});

describe("NotificationPipeline", () => {
  const s = build();

  it("routes Notification events from its bus to the queue, with the dead-letter queue for delivery failures", () => {
    s.template.resourceCountIs("AWS::Events::EventBus", 1);
    s.template.hasResourceProperties("AWS::Events::Rule", {
      EventBusName: { Ref: logicalId(s.pipeline.eventBus) },
      EventPattern: { "detail-type": ["Notification"] },
      Targets: [
        {
          Arn: { "Fn::GetAtt": [logicalId(s.pipeline.queue), "Arn"] },
          Id: "Target0",
          DeadLetterConfig: { Arn: { "Fn::GetAtt": [logicalId(s.pipeline.deadLetterQueue), "Arn"] } },
        },
      ],
    });
  });

  it("encrypts both queues with its key, enforces TLS and dead-letters after five receives", () => {
    const key = { "Fn::GetAtt": [logicalId(s.pipeline.encryptionKey), "Arn"] };
    s.template.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true });
    const queue = s.template.toJSON().Resources[logicalId(s.pipeline.queue)].Properties;
    expect(queue).toMatchObject({
      KmsMasterKeyId: key,
      VisibilityTimeout: 360, // 6 x the 60 s function timeout
      RedrivePolicy: {
        deadLetterTargetArn: { "Fn::GetAtt": [logicalId(s.pipeline.deadLetterQueue), "Arn"] },
        maxReceiveCount: 5,
      },
    });
    expect(s.template.toJSON().Resources[logicalId(s.pipeline.deadLetterQueue)].Properties).toMatchObject({
      KmsMasterKeyId: key,
      MessageRetentionPeriod: 1_209_600,
    });
    for (const policy of Object.values(s.template.findResources("AWS::SQS::QueuePolicy"))) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
      );
    }
  });

  it("lets EventBridge use the key, from this account only", () => {
    const keyPolicy = s.template.toJSON().Resources[logicalId(s.pipeline.encryptionKey)].Properties.KeyPolicy;
    expect(keyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Principal: { Service: "events.amazonaws.com" },
        Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
      }),
    );
  });

  it("consumes the queue with partial batch responses and the derived maximum concurrency", () => {
    s.template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      EventSourceArn: { "Fn::GetAtt": [logicalId(s.pipeline.queue), "Arn"] },
      BatchSize: 10,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it("configures the sender: Node 24 on arm64, 60 s, and every variable the send path reads", () => {
    const fn = functionProps(s.template, s.pipeline);
    expect(fn).toMatchObject({
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      Timeout: 60,
      MemorySize: 512,
    });
    expect(fn.Environment.Variables).toEqual({
      [TRANSPORT_ENV]: "ses-smtp",
      [PARAMETER_PREFIX_ENV]: "/herald",
      [TABLE_NAME_ENV]: { Ref: logicalId(s.pipeline.table) },
      [DEAD_LETTER_QUEUE_URL_ENV]: { Ref: logicalId(s.pipeline.deadLetterQueue) },
      [MAX_SEND_RATE_ENV]: "7",
      POWERTOOLS_SERVICE_NAME: "herald-send-notification",
      POWERTOOLS_LOG_LEVEL: "INFO",
      POWERTOOLS_METRICS_NAMESPACE: "Herald",
    });
  });

  it("grants the sender the settings, the table, the queue and the dead-letter queue, and no SES over SMTP", () => {
    expect(allowedActions(s.template, s.pipeline.sender.role)).toEqual([
      "dynamodb:DeleteItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "kms:Decrypt",
      "kms:GenerateDataKey",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
      "sqs:ReceiveMessage",
      "sqs:SendMessage",
      "ssm:GetParametersByPath",
    ]);
    const send = statementsOf(s.template, s.pipeline.sender.role).find(
      (st) => st.Action === "sqs:SendMessage",
    )!;
    expect(send.Resource).toEqual({ "Fn::GetAtt": [logicalId(s.pipeline.deadLetterQueue), "Arn"] });
  });

  it("keeps idempotency records in an on-demand table with TTL, point-in-time recovery and deletion protection", () => {
    s.template.hasResourceProperties("AWS::DynamoDB::Table", {
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
      TimeToLiveSpecification: { AttributeName: "expiration", Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
    s.template.hasResource("AWS::DynamoDB::Table", { DeletionPolicy: "Retain" });
  });

  it("drops deletion protection on request, and the table then goes with the stack", () => {
    const unprotected = build({ deletionProtection: false });
    unprotected.template.hasResource("AWS::DynamoDB::Table", {
      DeletionPolicy: "Delete",
      Properties: { DeletionProtectionEnabled: false },
    });
  });

  it("for ses-api, sends through the identity and names the configuration set", () => {
    const stack = freshStack();
    const settings = EmailSettingsParameters.fromParameterPrefix(stack, "Settings", "/herald");
    const domain = new SendingDomain(stack, "Domain", { domain: "example.com" });
    const pipeline = new NotificationPipeline(stack, "Pipeline", {
      settings,
      transport: "ses-api",
      sendingIdentity: domain,
      maxSendRate: 100,
      functionTimeout: Duration.seconds(30),
    });
    const template = Template.fromStack(stack);
    const fn = functionProps(template, pipeline);
    expect(fn.Environment.Variables).toMatchObject({
      [TRANSPORT_ENV]: "ses-api",
      [CONFIGURATION_SET_ENV]: { Ref: logicalId(domain.configurationSet) },
      [MAX_SEND_RATE_ENV]: "10",
    });
    expect(allowedActions(template, pipeline.sender.role)).toEqual(
      expect.arrayContaining(["ses:SendEmail", "ses:SendRawEmail"]),
    );
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      ScalingConfig: { MaximumConcurrency: 10 },
    });
    template.hasResourceProperties("AWS::SQS::Queue", { VisibilityTimeout: 180 });
    expect(nagFindings(stack)).toEqual([]);
  });

  it("gives producers a put-events command and a grant", () => {
    expect(putEventsCommand("herald-bus")).toBe(
      `aws events put-events --entries '[{"EventBusName":"herald-bus","Source":"my.app","DetailType":"Notification",` +
        `"Detail":"{\\"id\\":\\"hello-1\\",\\"to\\":[\\"you@example.com\\"],\\"subject\\":\\"Hello\\",\\"text\\":\\"Sent through Herald\\"}"}]'`,
    );
    const stack = freshStack();
    const settings = EmailSettingsParameters.fromParameterPrefix(stack, "Settings", "/herald");
    const pipeline = new NotificationPipeline(stack, "Pipeline", { settings });
    const producer = new Role(stack, "Producer", { assumedBy: new ServicePrincipal("lambda.amazonaws.com") });
    pipeline.grantPutEvents(producer);
    expect(statementsOf(Template.fromStack(stack), producer)).toEqual([
      expect.objectContaining({
        Action: "events:PutEvents",
        Resource: { "Fn::GetAtt": [logicalId(pipeline.eventBus), "Arn"] },
      }),
    ]);
  });

  it("passes cdk-nag and raises no CDK warning", () => {
    expect(nagFindings(s.stack)).toEqual([]);
    expect(warningsAndErrors(s.stack)).toEqual([]);
  });

  it.each([
    [
      { transport: "ses-api" as const },
      "NotificationPipeline: sendingIdentity is required with transport ses-api",
    ],
    [{ transport: "pigeon" as never }, 'NotificationPipeline: transport "pigeon" is not one of'],
    [{ maxSendRate: 0 }, "NotificationPipeline: maxSendRate 0 is not a positive number"],
    [{ maxSendRate: 0.0001 }, "NotificationPipeline: maxSendRate 0.0001 gives each of"],
    [{ maxSendRate: 1e12 }, "outside 0.001..100000"],
    [{ batchSize: 11 }, "NotificationPipeline: batchSize 11 is not an integer from 1 to 10"],
    [
      { functionTimeout: Duration.seconds(1000) },
      'NotificationPipeline: functionTimeout "1000 s" is more than Lambda\'s 900 s',
    ],
  ])("refuses %j", (props, message) => {
    const stack = freshStack();
    const settings = EmailSettingsParameters.fromParameterPrefix(stack, "Settings", "/herald");
    expect(() => new NotificationPipeline(stack, "P", { settings, ...props })).toThrow(message);
  });
});
