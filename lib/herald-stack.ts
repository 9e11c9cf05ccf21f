// Herald's stack: the SES sending domain, the settings in SSM, the SMTP credentials (transport
// ses-smtp), the notification pipeline, the security-alert check, the console tools
// (test-send, validate-settings) and the alarms, with outputs that say how to use them.
import { CfnOutput, Duration, Stack, type StackProps } from "aws-cdk-lib";
import { EventBus } from "aws-cdk-lib/aws-events";
import { HostedZone } from "aws-cdk-lib/aws-route53";
import { ConfigurationSet, EmailIdentity } from "aws-cdk-lib/aws-ses";
import { Topic } from "aws-cdk-lib/aws-sns";
import type { Construct } from "constructs";
import { EmailSettingsParameters } from "./email-settings-parameters.ts";
import type { HeraldConfig } from "./herald-config.ts";
import { Monitoring } from "./monitoring.ts";
import { NotificationPipeline, putEventsCommand } from "./notification-pipeline.ts";
import { NOTIFICATION_STATUS_EVENT, NotificationStatus } from "./notification-status.ts";
import { SecurityAlerts } from "./security-alerts.ts";
import { SendingDomain } from "./sending-domain.ts";
import { SettingsFunctions } from "./settings-functions.ts";
import { SmtpCredentials } from "./smtp-credentials.ts";
import { sendFunctionTimeoutSeconds } from "../src/send-timing.ts";
import { DEFAULT_SMTP_TIMEOUT_SECONDS } from "../src/settings/model.ts";

export type HeraldStackProps = StackProps & HeraldConfig;

/** The console test event of test-send, and the address it names. */
export const TEST_SEND_EVENT = '{ "to": "you@example.com" }';

function invokeCommand(functionName: string, payload: string): string {
  return `aws lambda invoke --function-name ${functionName} --cli-binary-format raw-in-base64-out --payload '${payload}' /dev/stdout`;
}

export class HeraldStack extends Stack {
  readonly settings: EmailSettingsParameters;
  readonly domain: SendingDomain;
  readonly credentials?: SmtpCredentials;
  readonly pipeline: NotificationPipeline;
  readonly securityAlerts: SecurityAlerts;
  readonly tools: SettingsFunctions;
  readonly monitoring: Monitoring;
  readonly status: NotificationStatus;

  constructor(scope: Construct, id: string, props: HeraldStackProps) {
    super(scope, id, {
      description: `Herald: email notifications from ${props.domain} (SES, settings in SSM, notification pipeline, security alerts)`,
      ...props,
    });
    const functionOptions = { logLevel: props.logLevel };

    const bus = new EventBus(this, "Bus", {
      description: "Herald: Notification events in, NotificationFeedback events out",
    });
    const hostedZone = props.hostedZone
      ? HostedZone.fromHostedZoneAttributes(this, "Zone", props.hostedZone)
      : undefined;
    this.domain = new SendingDomain(this, "Domain", {
      ...functionOptions,
      domain: props.domain,
      hostedZone,
      mailFromSubdomain: props.mailFromSubdomain,
      ...(props.existingDmarc
        ? { existingDmarc: true }
        : { dmarcPolicy: props.dmarcPolicy, dmarcReportEmail: props.dmarcReportEmail }),
      ...(props.existingIdentity
        ? { identity: EmailIdentity.fromEmailIdentityName(this, "Identity", props.existingIdentity) }
        : {}),
      ...(props.existingConfigurationSet
        ? {
            configurationSet: ConfigurationSet.fromConfigurationSetName(
              this,
              "ConfigurationSet",
              props.existingConfigurationSet,
            ),
          }
        : {}),
      feedbackEvents: props.feedbackEvents,
      feedbackEventBus: bus,
    });

    const smtp = props.smtp
      ? {
          server: props.smtp.server ?? `email-smtp.${this.region}.amazonaws.com`,
          port: props.smtp.port,
          connectionSecurity: props.smtp.connectionSecurity,
          timeoutSeconds: props.smtp.timeoutSeconds,
        }
      : undefined;
    // The functions that hold SMTP sessions are sized from the SMTPServerTimeout written here.
    const stageSeconds = props.smtp?.timeoutSeconds;
    const sendTimeout = Duration.seconds(
      sendFunctionTimeoutSeconds(stageSeconds ?? DEFAULT_SMTP_TIMEOUT_SECONDS),
    );
    this.settings = new EmailSettingsParameters(this, "Settings", {
      parameterPrefix: props.parameterPrefix,
      senderAddress: props.senderAddress,
      senderName: props.senderName,
      siteUrl: props.siteUrl,
      siteName: props.siteName,
      smtp,
    });

    if (props.transport === "ses-smtp") {
      this.credentials = new SmtpCredentials(this, "SmtpCredentials", {
        ...functionOptions,
        settings: this.settings,
        sendingIdentity: this.domain,
        senderAddress: props.senderAddress,
        serial: props.credentialsSerial,
        gracePeriod: Duration.seconds(props.credentialsGracePeriodSeconds ?? 86_400),
        ...(props.credentialsRotationIntervalSeconds
          ? { rotationInterval: Duration.seconds(props.credentialsRotationIntervalSeconds) }
          : {}),
        ...(props.previousParameterPrefix
          ? { previousParameterPrefixes: [props.previousParameterPrefix] }
          : {}),
      });
    }

    this.pipeline = new NotificationPipeline(this, "Pipeline", {
      ...functionOptions,
      settings: this.settings,
      transport: props.transport,
      sendingIdentity: this.domain,
      maxSendRate: props.maxSendRate,
      functionTimeout: sendTimeout,
      eventBus: bus,
      deletionProtection: props.deletionProtection,
      allowedSources: props.notificationSources,
      restrictPutEvents: props.restrictPutEvents,
    });
    // The feedback function publishes NotificationFeedback on the same bus: a granted producer.
    this.pipeline.grantPutEvents(this.domain.feedback.role);

    this.status = new NotificationStatus(this, "Status", {
      ...functionOptions,
      table: this.pipeline.table,
      writers: [this.pipeline.sender, this.domain.feedback],
    });

    this.securityAlerts = new SecurityAlerts(this, "SecurityAlerts", {
      ...functionOptions,
      settings: this.settings,
      adminEmails: props.adminEmails,
      productVersion: props.productVersion,
      securityFeedUrl: props.securityFeedUrl,
      schedule: props.securityCheckSchedule,
      table: this.pipeline.table,
      transport: props.transport,
      sendingIdentity: this.domain,
      sendTimeout,
    });

    this.tools = new SettingsFunctions(this, "Tools", {
      ...functionOptions,
      settings: this.settings,
      transport: props.transport,
      sendingIdentity: this.domain,
      senderAddress: props.senderAddress,
      sendTimeout,
      // One stage and the report fit (a probe or test send is cut at the invocation's end anyway).
      ...(stageSeconds !== undefined ? { timeout: Duration.seconds(Math.max(30, stageSeconds + 5)) } : {}),
    });

    this.monitoring = new Monitoring(this, "Monitoring", {
      adminEmails: props.adminEmails,
      ...(props.alarmTopicArn ? { topic: Topic.fromTopicArn(this, "AlarmTopic", props.alarmTopicArn) } : {}),
      bounceRateThreshold: props.bounceRateThreshold,
      complaintRateThreshold: props.complaintRateThreshold,
      notificationQueue: this.pipeline.queue,
      deadLetterQueues: {
        NotificationDeadLetters: this.pipeline.deadLetterQueue,
        FeedbackDeadLetters: this.domain.feedbackDeadLetterQueue,
      },
      functions: {
        SendNotification: this.pipeline.sender.function,
        SecurityAlertCheck: this.securityAlerts.check.function,
        Feedback: this.domain.feedback.function,
        TestSend: this.tools.testSend.function,
        ValidateSettings: this.tools.validateSettings.function,
        NotificationStatus: this.status.reader.function,
        ...(this.credentials ? { SmtpCredentials: this.credentials.handler.function } : {}),
      },
    });

    this.outputs(props);
  }

  private outputs(props: HeraldStackProps): void {
    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    const testSend = this.tools.testSend.function.functionName;
    const validate = this.tools.validateSettings.function.functionName;
    output(
      "TestSendFunctionName",
      testSend,
      `Test Connection: invoke with ${TEST_SEND_EVENT} (Lambda console, Test tab)`,
    );
    output(
      "TestSendCommand",
      invokeCommand(testSend, TEST_SEND_EVENT),
      "Test Connection from a shell (put your address in)",
    );
    output("TestSendConsoleEvent", TEST_SEND_EVENT, "Console test event for the test-send function");
    output(
      "ValidateSettingsFunctionName",
      validate,
      'Validate the settings: invoke with {} or { "connect": true }',
    );
    output(
      "ValidateSettingsCommand",
      invokeCommand(validate, '{ "connect": true }'),
      "Validate the settings and probe the server from a shell",
    );
    output(
      "ParameterPrefix",
      this.settings.parameterPrefix,
      "SSM path of the settings, e.g. <prefix>/EmailSettings/SMTPServer",
    );
    output(
      "SettingsParameters",
      this.settings.parameterNames.join(", "),
      "The settings parameters this stack wrote (edit them in SSM)",
    );
    output(
      "SettingsKeyArn",
      this.settings.encryptionKey.keyArn,
      "KMS key for SecureString settings (aws ssm put-parameter --type SecureString --key-id ...)",
    );
    if (this.credentials) {
      output(
        "SmtpUsernameParameter",
        this.credentials.usernameParameterName,
        "SMTPUsername: the SES SMTP user's access key id",
      );
      output(
        "SmtpPasswordParameter",
        this.credentials.passwordParameterName,
        "SMTPPassword (SecureString): the derived SES SMTP password",
      );
    }
    output("EventBusName", this.pipeline.eventBus.eventBusName, 'Put "Notification" events on this bus');
    output(
      "PutEventsCommand",
      putEventsCommand(this.pipeline.eventBus.eventBusName),
      "Send one notification from a shell",
    );
    output(
      "DeadLetterQueueUrl",
      this.pipeline.deadLetterQueue.queueUrl,
      "Notifications that failed permanently, with their reason",
    );
    output(
      "NotificationQueueArn",
      this.pipeline.queue.queueArn,
      "The send queue (re-drive dead letters into it)",
    );
    output(
      "DeadLetterQueueArn",
      this.pipeline.deadLetterQueue.queueArn,
      "For aws sqs start-message-move-task",
    );
    output(
      "ConfigurationSetName",
      this.domain.configurationSetName,
      "SES configuration set of every message from the domain",
    );
    output(
      "SecurityCheck",
      props.productVersion
        ? `${props.securityCheckSchedule} for version ${props.productVersion}`
        : "disabled: deploy with -c productVersion=<the version you run> to enable it",
      "Security-alert check schedule",
    );
    output(
      "AlarmTopicArn",
      this.monitoring.topic.topicArn,
      "Alarms go here; each administrator confirms the email subscription once",
    );
    output("DashboardName", this.monitoring.dashboard.dashboardName, "CloudWatch dashboard");
    const status = this.status.reader.function.functionName;
    output(
      "NotificationStatusFunctionName",
      status,
      `Did they get it? Invoke with ${NOTIFICATION_STATUS_EVENT} (Lambda console, Test tab)`,
    );
    output(
      "NotificationStatusCommand",
      invokeCommand(status, NOTIFICATION_STATUS_EVENT),
      "A notification's delivery status from a shell (put its id in)",
    );
    output("TableName", this.pipeline.table.tableName, "HERALD_TABLE_NAME for herald status ID");
  }
}
