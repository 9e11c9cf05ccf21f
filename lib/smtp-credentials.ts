// SES SMTP credentials (transport `ses-smtp`): an IAM user that may only send raw email from the
// sender address through the domain identity and its configuration set (and, for the SES
// sandbox, the recipients' verified identities), and a custom resource
// that creates its access key, derives the SES SMTP password and writes SMTPUsername and
// SMTPPassword (SecureString, customer-managed key) under the settings prefix. A new `serial`
// (or the opt-in `rotationInterval` schedule) rotates them: a new key, proven by an SMTP login
// to the region's SES endpoint, stored as a pair, and the previous key kept for `gracePeriod`
// before a scheduled cleanup deletes it. The secret never appears in the template, an output,
// a log or the custom resource's response.
import { ArnFormat, Aws, CfnRule, CustomResource, Duration, Fn, Stack, Token } from "aws-cdk-lib";
import type { IBaseService } from "aws-cdk-lib/aws-ecs";
import { PolicyStatement, Role, ServicePrincipal, User } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Schedule, ScheduleExpression, ScheduleTargetInput } from "aws-cdk-lib/aws-scheduler";
import { LambdaInvoke } from "aws-cdk-lib/aws-scheduler-targets";
import { Provider } from "aws-cdk-lib/custom-resources";
import { Construct } from "constructs";
import { parameterName, SERVICE_NAMES } from "../src/constants.ts";
import {
  SMTP_CREDENTIALS_ATTRIBUTE as ATTRIBUTE,
  SMTP_CREDENTIALS_PROPERTY as PROPERTY,
  SMTP_CREDENTIALS_TASK_FIELD,
  type SmtpCredentialsTask,
  SMTP_PASSWORD_SETTING,
  SMTP_USERNAME_SETTING,
} from "../src/ses/smtp-credentials-contract.ts";
import { SES_SMTP_REGIONS } from "../src/ses/regions.ts";
import type { IEmailSettings } from "./email-settings-parameters.ts";
import { createKey } from "./private/key.ts";
import { HeraldFunction, type HeraldFunctionOptions } from "./private/herald-function.ts";
import { acknowledgeInvokeVersions, acknowledgeWildcard } from "./private/nag.ts";
import type { ISendingIdentity } from "./sending-domain.ts";
import { check, isEmailAddress } from "./private/validate.ts";

export interface SmtpCredentialsProps extends HeraldFunctionOptions {
  /** Where SMTPUsername and SMTPPassword go (the prefix), and the key of the password. */
  readonly settings: IEmailSettings;
  /** The domain identity and configuration set the user may send through. */
  readonly sendingIdentity: ISendingIdentity;
  /** The only From address the user may send as (`ses:FromAddress`): FeedbackEmail. */
  readonly senderAddress: string;
  /**
   * Change it to rotate the credentials: a new access key, proven by an SMTP login, stored,
   * then the previous one retired (see `gracePeriod`).
   * @default "1"
   */
  readonly serial?: string;
  /**
   * How long the previous access key stays active after a rotation, so that consumers that
   * read the pair at start (an ECS task, a config file) keep sending until they restart; a
   * scheduled cleanup then deletes it. `Duration.seconds(0)` deletes it during the rotation.
   * @default Duration.days(1)
   */
  readonly gracePeriod?: Duration;
  /**
   * Rotate on a schedule, outside deployments, with the same steps (EventBridge Scheduler).
   * @default - no scheduled rotation: only a new `serial` rotates
   */
  readonly rotationInterval?: Duration;
  /**
   * ECS services whose tasks read the pair at start: each rotation forces a new deployment
   * of them (ecs:UpdateService), so they pick up the new pair within the grace period.
   * @default - no service is restarted
   */
  readonly restartServices?: IBaseService[];
  /**
   * Prefixes the settings were under before (when `parameterPrefix` changes): the handler may
   * remove SMTPUsername and SMTPPassword there. Without it a prefix change is refused, with
   * this fix, before anything changes. Drop it in the deployment after the change.
   * @default - none
   */
  readonly previousParameterPrefixes?: string[];
}

/** The SES SMTP regions, for messages and the deployment-time check. */
const SMTP_REGIONS = [...SES_SMTP_REGIONS].sort();

export class SmtpCredentials extends Construct {
  /** The IAM user whose access key is the SMTP username. */
  readonly user: User;
  /** The key that encrypts SMTPPassword: the settings' key, or a new one when they have none. */
  readonly encryptionKey: IKey;
  /** The current access key id (the SMTP username); changes on rotation. */
  readonly accessKeyId: string;
  readonly usernameParameterName: string;
  readonly passwordParameterName: string;
  /** The custom resource handler (lambdas/smtp-credentials.ts), which runs the schedules too. */
  readonly handler: HeraldFunction;
  /** How long a previous key stays active after a rotation. */
  readonly gracePeriod: Duration;
  /** The scheduled rotation, when `rotationInterval` is given. */
  readonly rotationSchedule?: Schedule;
  /** The hourly cleanup of keys whose grace period ended, when the grace period is not 0. */
  readonly cleanupSchedule?: Schedule;

  constructor(scope: Construct, id: string, props: SmtpCredentialsProps) {
    super(scope, id);
    const name = "SmtpCredentials";
    check(
      name,
      "senderAddress",
      props.senderAddress,
      isEmailAddress(props.senderAddress),
      "is not an email address",
    );
    const serial = props.serial ?? "1";
    check(name, "serial", serial, serial.trim() !== "", "is empty: use any value, and change it to rotate");
    this.gracePeriod = props.gracePeriod ?? Duration.days(1);
    const graceSeconds = this.gracePeriod.toSeconds();
    const interval = props.rotationInterval;
    if (interval && !Token.isUnresolved(interval.toSeconds())) {
      check(
        name,
        "rotationInterval",
        interval.toHumanString(),
        interval.toSeconds() > graceSeconds && interval.toMinutes() >= 60,
        `must be at least an hour and longer than the grace period (${this.gracePeriod.toHumanString()}), so that a rotation never cuts the previous one's grace short`,
      );
    }
    const stack = Stack.of(this);
    this.requireSmtpRegion(stack);

    const prefix = props.settings.parameterPrefix;
    this.usernameParameterName = parameterName(prefix, SMTP_USERNAME_SETTING);
    this.passwordParameterName = parameterName(prefix, SMTP_PASSWORD_SETTING);
    this.encryptionKey =
      props.settings.encryptionKey ?? createKey(this, "Key", `encrypts ${this.passwordParameterName}`);

    // The sending user: raw email (what the SMTP interface is) from the sender, nothing else.
    this.user = new User(this, "User");
    this.user.addToPolicy(
      new PolicyStatement({
        sid: "SendAsSenderOnly",
        actions: ["ses:SendRawEmail"],
        resources: [props.sendingIdentity.emailIdentityArn, props.sendingIdentity.configurationSetArn],
        conditions: { StringEqualsIgnoreCase: { "ses:FromAddress": props.senderAddress } },
      }),
    );
    // In the SES sandbox, SES also authorizes the send on each recipient's (verified) identity:
    // without this a test to a verified address fails with 554 Access denied. Still only as
    // the sender; in production SES checks no recipient identity.
    const anyIdentity = stack.formatArn({ service: "ses", resource: "identity", resourceName: "*" });
    this.user.addToPolicy(
      new PolicyStatement({
        sid: "SandboxRecipients",
        actions: ["ses:SendRawEmail"],
        resources: [anyIdentity],
        conditions: { StringEqualsIgnoreCase: { "ses:FromAddress": props.senderAddress } },
      }),
    );
    acknowledgeWildcard(
      this.user,
      anyIdentity,
      "In the SES sandbox, SES authorizes a send on every recipient's verified identity too; the " +
        "statement allows sending only as the sender address (ses:FromAddress).",
    );

    this.handler = new HeraldFunction(this, "Handler", {
      entry: "lambdas/smtp-credentials.ts",
      description: "Herald: SES SMTP credentials custom resource (access key -> SMTPUsername/SMTPPassword)",
      serviceName: SERVICE_NAMES.smtpCredentials,
      // The proof retries the login while IAM propagates the new key (seconds to minutes).
      timeout: Duration.minutes(5),
      logRetention: props.logRetention,
      logLevel: props.logLevel,
    });
    const role = this.handler.role;
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: "ManageAccessKeys",
        // List: a rotation that is rolled back leaves a key the handler must find and delete.
        actions: ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys"],
        resources: [this.user.userArn],
      }),
    );
    const parameterArn = (parameter: string) =>
      stack.formatArn({
        service: "ssm",
        resource: "parameter",
        resourceName: parameter.slice(1),
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
    // Previous prefixes: a prefix change removes the pair there (refused without this grant).
    const prefixes = [prefix, ...(props.previousParameterPrefixes ?? []).filter((p) => p !== prefix)];
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: "WriteCredentials",
        // GetParameters: the pair in use, and the previous values a failed write restores.
        actions: ["ssm:PutParameter", "ssm:GetParameters", "ssm:DeleteParameters"],
        resources: prefixes.flatMap((p) => [
          parameterArn(parameterName(p, SMTP_USERNAME_SETTING)),
          parameterArn(parameterName(p, SMTP_PASSWORD_SETTING)),
        ]),
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: "EncryptPassword",
        // Decrypt: a failed write puts the previous password back.
        actions: ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"],
        resources: [this.encryptionKey.keyArn],
        conditions: { StringEquals: { "kms:ViaService": `ssm.${Aws.REGION}.amazonaws.com` } },
      }),
    );

    // The Provider framework's own function: a role of ours (no AWS managed policy) and logs.
    const frameworkLogs = new LogGroup(this, "ProviderLogs", {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });
    const frameworkRole = new Role(this, "ProviderRole", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: "Herald: CDK Provider framework for the SMTP credentials custom resource",
    });
    frameworkRole.addToPrincipalPolicy(
      new PolicyStatement({
        sid: "WriteLogs",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [frameworkLogs.logGroupArn],
      }),
    );
    const provider = new Provider(this, "Provider", {
      onEventHandler: this.handler.function,
      frameworkOnEventRole: frameworkRole,
      logGroup: frameworkLogs,
    });

    const services = props.restartServices ?? [];
    if (services.length > 0) {
      role.addToPrincipalPolicy(
        new PolicyStatement({
          sid: "RestartServices",
          actions: ["ecs:UpdateService"],
          resources: services.map((service) => service.serviceArn),
        }),
      );
    }
    // What the custom resource and the schedules act on (no secret).
    const properties = {
      [PROPERTY.userName]: this.user.userName,
      [PROPERTY.parameterPrefix]: prefix,
      [PROPERTY.kmsKeyId]: this.encryptionKey.keyArn,
      [PROPERTY.region]: Aws.REGION,
      [PROPERTY.gracePeriodSeconds]: String(graceSeconds),
      ...(services.length > 0
        ? {
            [PROPERTY.restartServices]: services.map(
              (service) => `${service.cluster.clusterArn}|${service.serviceArn}`,
            ),
          }
        : {}),
    };

    const resource = new CustomResource(this, "Resource", {
      serviceToken: provider.serviceToken,
      resourceType: "Custom::HeraldSmtpCredentials",
      properties: { ...properties, [PROPERTY.serial]: serial },
    });
    // The key is deleted before the user on teardown; keep the handler's grants until then.
    resource.node.addDependency(role);
    this.accessKeyId = resource.getAttString(ATTRIBUTE.accessKeyId);

    acknowledgeInvokeVersions(frameworkRole, this.handler.function, "The CDK Provider framework");

    if (interval || graceSeconds > 0) {
      const schedulerRole = new Role(this, "SchedulerRole", {
        assumedBy: new ServicePrincipal("scheduler.amazonaws.com", {
          conditions: { StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID } },
        }),
        description: "Herald: EventBridge Scheduler runs the SMTP credentials rotation and cleanup",
      });
      const schedule = (
        id: string,
        task: SmtpCredentialsTask,
        expression: ScheduleExpression,
        what: string,
      ) => {
        const created = new Schedule(this, id, {
          schedule: expression,
          target: new LambdaInvoke(this.handler.function, {
            role: schedulerRole,
            input: ScheduleTargetInput.fromObject({ [SMTP_CREDENTIALS_TASK_FIELD]: task, properties }),
            retryAttempts: 2,
            maxEventAge: Duration.hours(1),
          }),
          description: `Herald: ${what}`,
        });
        // The first run comes after the deployment that creates the credentials.
        created.node.addDependency(resource);
        return created;
      };
      if (interval) {
        this.rotationSchedule = schedule(
          "RotationSchedule",
          "rotate",
          ScheduleExpression.rate(interval),
          `rotates the SES SMTP credentials every ${interval.toHumanString()}`,
        );
      }
      if (graceSeconds > 0) {
        this.cleanupSchedule = schedule(
          "CleanupSchedule",
          "cleanup",
          ScheduleExpression.rate(Duration.hours(1)),
          `deletes a previous SES SMTP access key once its grace period (${this.gracePeriod.toHumanString()}) is over`,
        );
      }
      acknowledgeInvokeVersions(schedulerRole, this.handler.function, "EventBridge Scheduler");
    }
  }

  /** SMTP credentials work only where SES has an SMTP endpoint: checked now, or at deployment. */
  private requireSmtpRegion(stack: Stack): void {
    const region = stack.region;
    if (!Token.isUnresolved(region)) {
      check(
        "SmtpCredentials",
        "region",
        region,
        SES_SMTP_REGIONS.has(region),
        `has no SES SMTP endpoint (email-smtp.${region}.amazonaws.com): deploy to one of ${SMTP_REGIONS.join(", ")}, or use transport ses-api`,
      );
      return;
    }
    // An environment-agnostic stack: CloudFormation refuses the deployment in another region.
    new CfnRule(this, "SesSmtpRegion", {
      assertions: [
        {
          assert: Fn.conditionContains(SMTP_REGIONS, Aws.REGION),
          assertDescription:
            "Herald's ses-smtp transport needs a region with an SES SMTP endpoint; deploy to one of them or use transport ses-api.",
        },
      ],
    });
  }
}
