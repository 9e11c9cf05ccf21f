// SES SMTP credentials (transport `ses-smtp`): an IAM user that may only send raw email from the
// sender address through the domain identity and its configuration set (and, for the SES
// sandbox, the recipients' verified identities), and a custom resource
// that creates its access key, derives the SES SMTP password and writes SMTPUsername and
// SMTPPassword (SecureString, customer-managed key) under the settings prefix. A new `serial`
// rotates them: a new key first, then the old one deleted. The secret never appears in the
// template, an output, a log or the custom resource's response.
import { ArnFormat, Aws, CfnRule, CustomResource, Fn, Stack, Token } from "aws-cdk-lib";
import { PolicyStatement, Role, ServicePrincipal, User } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Provider } from "aws-cdk-lib/custom-resources";
import { Construct } from "constructs";
import { parameterName } from "../src/constants.ts";
import {
  SMTP_CREDENTIALS_ATTRIBUTE as ATTRIBUTE,
  SMTP_CREDENTIALS_PROPERTY as PROPERTY,
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
   * Change it to rotate the credentials (a new access key, then the old one is deleted).
   * @default "1"
   */
  readonly serial?: string;
  /**
   * The key that encrypts SMTPPassword when `settings` has none.
   * @default - the settings' key, or a new customer-managed key with rotation
   */
  readonly encryptionKey?: IKey;
}

/** The SES SMTP regions, for messages and the deployment-time check. */
const SMTP_REGIONS = [...SES_SMTP_REGIONS].sort();

export class SmtpCredentials extends Construct {
  /** The IAM user whose access key is the SMTP username. */
  readonly user: User;
  /** The key that encrypts SMTPPassword. */
  readonly encryptionKey: IKey;
  /** The current access key id (the SMTP username); changes on rotation. */
  readonly accessKeyId: string;
  readonly usernameParameterName: string;
  readonly passwordParameterName: string;
  /** The custom resource handler (lambdas/smtp-credentials.ts). */
  readonly handler: HeraldFunction;

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
    const stack = Stack.of(this);
    this.requireSmtpRegion(stack);

    const prefix = props.settings.parameterPrefix;
    this.usernameParameterName = parameterName(prefix, SMTP_USERNAME_SETTING);
    this.passwordParameterName = parameterName(prefix, SMTP_PASSWORD_SETTING);
    this.encryptionKey =
      props.settings.encryptionKey ??
      props.encryptionKey ??
      createKey(this, "Key", `encrypts ${this.passwordParameterName}`);

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
      serviceName: "herald-smtp-credentials",
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
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: "WriteCredentials",
        actions: ["ssm:PutParameter", "ssm:GetParameter", "ssm:DeleteParameters"],
        resources: [parameterArn(this.usernameParameterName), parameterArn(this.passwordParameterName)],
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: "EncryptPassword",
        actions: ["kms:Encrypt", "kms:GenerateDataKey"],
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

    const resource = new CustomResource(this, "Resource", {
      serviceToken: provider.serviceToken,
      resourceType: "Custom::HeraldSmtpCredentials",
      properties: {
        [PROPERTY.userName]: this.user.userName,
        [PROPERTY.parameterPrefix]: prefix,
        [PROPERTY.kmsKeyId]: this.encryptionKey.keyArn,
        [PROPERTY.region]: Aws.REGION,
        [PROPERTY.serial]: serial,
      },
    });
    // The key is deleted before the user on teardown; keep the handler's grants until then.
    resource.node.addDependency(role);
    this.accessKeyId = resource.getAttString(ATTRIBUTE.accessKeyId);

    acknowledgeInvokeVersions(frameworkRole, this.handler.function, "The CDK Provider framework");
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
