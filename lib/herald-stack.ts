// Herald's stack: the test-send ("Test Connection") and validate-settings Lambdas, reading the
// settings from SSM under the parameter prefix. The SES domain and credentials come later.
import { CfnOutput, Stack, Validations, type Duration, type StackProps } from "aws-cdk-lib";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";
import { DEFAULT_PARAMETER_PREFIX } from "../src/constants.ts";
import {
  DEFAULT_TRANSPORT,
  normalizeParameterPrefix,
  parseTransport,
  type Transport,
} from "./herald-config.ts";
import { SettingsFunction } from "./settings-function.ts";

export interface HeraldStackProps extends StackProps {
  /**
   * The SSM path the settings are stored under, one parameter per setting
   * (`<prefix>/EmailSettings/SMTPServer`). A missing leading slash is added.
   * @default "/herald"
   */
  readonly parameterPrefix?: string;
  /**
   * How mail leaves: `ses-smtp` (SES SMTP endpoint), `smtp` (any server) or `ses-api`
   * (validate-settings then checks SES in the stack's region).
   * @default "ses-smtp"
   */
  readonly transport?: Transport;
  /**
   * Timeout of each function. An SMTP operation stops one second before it, so keep it above
   * SMTPServerTimeout.
   * @default Duration.seconds(30)
   */
  readonly functionTimeout?: Duration;
}

export class HeraldStack extends Stack {
  readonly parameterPrefix: string;
  readonly transport: Transport;
  readonly testSend: SettingsFunction;
  readonly validateSettings: SettingsFunction;

  constructor(scope: Construct, id: string, props: HeraldStackProps = {}) {
    super(scope, id, {
      description: "Herald: email notification sender (test-send and validate-settings Lambdas)",
      ...props,
    });
    this.parameterPrefix = normalizeParameterPrefix(props.parameterPrefix ?? DEFAULT_PARAMETER_PREFIX);
    this.transport = parseTransport(props.transport ?? DEFAULT_TRANSPORT);

    const common = {
      parameterPrefix: this.parameterPrefix,
      transport: this.transport,
      timeout: props.functionTimeout,
    };

    this.testSend = new SettingsFunction(this, "TestSend", {
      ...common,
      entry: "lambdas/test-send.ts",
      description: "Herald Test Connection: sends a test email with the saved settings",
      serviceName: "herald-test-send",
    });

    const sesIdentityArn = this.formatArn({ service: "ses", resource: "identity", resourceName: "*" });
    this.validateSettings = new SettingsFunction(this, "ValidateSettings", {
      ...common,
      entry: "lambdas/validate-settings.ts",
      description: "Herald: validates the saved settings, checks SES, optionally probes the server",
      serviceName: "herald-validate-settings",
      extraStatements: [
        // Sandbox status, quota and sending rate: GetAccount has no resource-level permissions.
        new PolicyStatement({ sid: "ReadSesAccount", actions: ["ses:GetAccount"], resources: ["*"] }),
        // Whether the sender's domain is verified with DKIM. The domain is not part of the stack yet.
        new PolicyStatement({
          sid: "ReadSesIdentity",
          actions: ["ses:GetEmailIdentity"],
          resources: [sesIdentityArn],
        }),
      ],
    });

    this.acknowledgeWildcards();

    new CfnOutput(this, "TestSendFunctionName", {
      value: this.testSend.function.functionName,
      description: 'Test Connection: invoke with { "to": "you@example.com" }',
    });
    new CfnOutput(this, "ValidateSettingsFunctionName", {
      value: this.validateSettings.function.functionName,
      description: 'Validate the settings: invoke with {} or { "connect": true }',
    });
    new CfnOutput(this, "ParameterPrefix", {
      value: this.parameterPrefix,
      description: "SSM path of the settings, e.g. <prefix>/EmailSettings/SMTPServer",
    });
  }

  /** cdk-nag AwsSolutions-IAM5: the wildcards that remain, each with its reason. */
  private acknowledgeWildcards(): void {
    const prefixPath = `${this.parameterPrefix}/*`;
    for (const fn of [this.testSend, this.validateSettings]) {
      const role = Validations.of(fn.role);
      role.acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter${prefixPath}]`,
        reason: `The settings are one SSM parameter each under ${this.parameterPrefix}; the function reads exactly that subtree.`,
      });
      role.acknowledge({
        id: "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]",
        reason:
          "SecureString settings use the AWS-managed key aws/ssm, whose id is unknown at synthesis; " +
          `kms:Decrypt is limited to calls through SSM (kms:ViaService) for parameters under ${prefixPath}.`,
      });
    }
    const validate = Validations.of(this.validateSettings.role);
    validate.acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason: "ses:GetAccount supports no resource-level permissions; it only reads the account's status.",
    });
    validate.acknowledge({
      id: "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*]",
      reason:
        "ses:GetEmailIdentity (read only) for the sender's domain, which is configuration, not part of this stack yet.",
    });
  }
}
