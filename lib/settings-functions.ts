// The console tools for the settings: test-send (Mattermost's "Test Connection") and
// validate-settings, each reading the settings under the prefix.
import { Duration, Stack, Validations } from "aws-cdk-lib";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import {
  ALLOWED_SENDER_ENV,
  DEFAULT_TRANSPORT,
  PARAMETER_PREFIX_ENV,
  SEND_TIMEOUT_ENV,
  SES_IDENTITY_ENV,
  SERVICE_NAMES,
  type Transport,
  TRANSPORT_ENV,
  TRANSPORTS,
} from "../src/constants.ts";
import { transportNeeds } from "../src/transport-needs.ts";
import type { IEmailSettings } from "./email-settings-parameters.ts";
import { HeraldFunction, type HeraldFunctionOptions } from "./private/herald-function.ts";
import { acknowledgeWildcard } from "./private/nag.ts";
import { wireSending } from "./private/sending.ts";
import { check } from "./private/validate.ts";
import type { ISendingIdentity } from "./sending-domain.ts";

export interface SettingsFunctionsProps extends HeraldFunctionOptions {
  /** The settings both functions read. */
  readonly settings: IEmailSettings;
  /**
   * HERALD_TRANSPORT; with `ses-api`, validate-settings checks SES in the stack's region.
   * @default "ses-smtp"
   */
  readonly transport?: Transport;
  /**
   * The domain identity validate-settings reads (ses:GetEmailIdentity).
   * @default - any identity in the account and region
   */
  readonly sendingIdentity?: ISendingIdentity;
  /**
   * The deployed sender (FeedbackEmail). validate-settings then reports a FeedbackEmail the
   * deployment cannot send as: with `ses-smtp` any other address, with `ses-api` an address
   * outside `sendingIdentity`'s domain.
   * @default - FeedbackEmail is not checked against the deployment
   */
  readonly senderAddress?: string;
  /**
   * The send-notification function's timeout. validate-settings then warns when one SMTP send
   * (4 x SMTPServerTimeout and a reserve) cannot fit it: no notification would start.
   * @default - not checked
   */
  readonly sendTimeout?: Duration;
  /**
   * Timeout of each function. An SMTP operation stops one second before it, so keep it above
   * SMTPServerTimeout.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
}

export class SettingsFunctions extends Construct {
  /** lambdas/test-send.ts: invoke with { "to": "you@example.com" }. */
  readonly testSend: HeraldFunction;
  /** lambdas/validate-settings.ts: invoke with {} or { "connect": true }. */
  readonly validateSettings: HeraldFunction;

  constructor(scope: Construct, id: string, props: SettingsFunctionsProps) {
    super(scope, id);
    const transport = props.transport ?? DEFAULT_TRANSPORT;
    check(
      "SettingsFunctions",
      "transport",
      transport,
      TRANSPORTS.includes(transport),
      `is not one of ${TRANSPORTS.join(", ")}`,
    );
    const common = {
      timeout: props.timeout ?? Duration.seconds(30),
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      environment: { [PARAMETER_PREFIX_ENV]: props.settings.parameterPrefix, [TRANSPORT_ENV]: transport },
    };
    this.testSend = new HeraldFunction(this, "TestSend", {
      ...common,
      entry: "lambdas/test-send.ts",
      description: "Herald Test Connection: sends a test email with the saved settings",
      serviceName: SERVICE_NAMES.testSend,
    });
    this.validateSettings = new HeraldFunction(this, "ValidateSettings", {
      ...common,
      entry: "lambdas/validate-settings.ts",
      description: "Herald: validates the saved settings, checks SES, optionally probes the server",
      serviceName: SERVICE_NAMES.validateSettings,
    });
    for (const fn of [this.testSend, this.validateSettings]) props.settings.grantRead(fn.role);
    // Test Connection sends as the deployment does: with ses-api, through SES with its grant.
    wireSending(this.testSend, transport, props.sendingIdentity);
    const allowedSender = {
      "sender address": props.senderAddress,
      domain: props.sendingIdentity?.domain,
      any: undefined,
    }[transportNeeds(transport).allowedSender];
    if (allowedSender !== undefined && props.senderAddress !== undefined)
      this.validateSettings.function.addEnvironment(ALLOWED_SENDER_ENV, allowedSender);
    // The SES checks read the identity sends go through, which may be a parent of the sender's domain.
    if (props.sendingIdentity)
      this.validateSettings.function.addEnvironment(
        SES_IDENTITY_ENV,
        props.sendingIdentity.emailIdentityName,
      );
    if (props.sendTimeout && transportNeeds(transport).appliesTo("EmailSettings.SMTPServerTimeout")) {
      this.validateSettings.function.addEnvironment(SEND_TIMEOUT_ENV, String(props.sendTimeout.toSeconds()));
    }

    const role = this.validateSettings.role;
    // Sandbox status, quota and sending rate: GetAccount has no resource-level permissions.
    role.addToPrincipalPolicy(
      new PolicyStatement({ sid: "ReadSesAccount", actions: ["ses:GetAccount"], resources: ["*"] }),
    );
    const identityArn =
      props.sendingIdentity?.emailIdentityArn ??
      Stack.of(this).formatArn({ service: "ses", resource: "identity", resourceName: "*" });
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: "ReadSesIdentity",
        actions: ["ses:GetEmailIdentity"],
        resources: [identityArn],
      }),
    );
    Validations.of(role).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason:
        "ses:GetAccount supports no resource-level permissions; it only reads the account's sending status.",
    });
    if (!props.sendingIdentity) {
      acknowledgeWildcard(
        role,
        identityArn,
        "ses:GetEmailIdentity (read only) for the sender's domain, which is not part of this deployment.",
      );
    }
  }
}
