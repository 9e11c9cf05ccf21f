// SecurityAlerts alone in a fresh stack: the check function, its configuration from props, the
// EventBridge Scheduler schedule, and the table it records sent bulletins in.
import { Duration } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { afterAll, describe, expect, it } from "vitest";
import { EmailSettingsParameters } from "../../lib/email-settings-parameters.ts";
import { SecurityAlerts } from "../../lib/security-alerts.ts";
import {
  ADMIN_EMAILS_ENV,
  INSTALLATION_ID_ENV,
  PARAMETER_PREFIX_ENV,
  PRODUCT_VERSION_ENV,
  SECURITY_FEED_TIMEOUT_ENV,
  SECURITY_FEED_URL_ENV,
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

function build(props: Partial<ConstructorParameters<typeof SecurityAlerts>[2]> = {}) {
  const stack = freshStack();
  const settings = EmailSettingsParameters.fromParameterPrefix(stack, "Settings", "/herald");
  const alerts = new SecurityAlerts(stack, "Alerts", {
    settings,
    adminEmails: ["ops@example.com", "oncall@example.com"],
    ...props,
  });
  return { stack, alerts, template: Template.fromStack(stack) };
}

function variables(s: ReturnType<typeof build>) {
  return s.template.toJSON().Resources[logicalId(s.alerts.check.function)].Properties.Environment.Variables;
}

describe("SecurityAlerts", () => {
  const s = build({ productVersion: "9.11.2", installationId: "inst-42", feedTimeout: Duration.seconds(5) });

  it("configures the check from its props", () => {
    expect(variables(s)).toEqual({
      [TRANSPORT_ENV]: "ses-smtp",
      [PARAMETER_PREFIX_ENV]: "/herald",
      [TABLE_NAME_ENV]: { Ref: logicalId(s.alerts.table) },
      [SECURITY_FEED_URL_ENV]: "https://securityupdatecheck.mattermost.com",
      [SECURITY_FEED_TIMEOUT_ENV]: "5",
      [ADMIN_EMAILS_ENV]: "ops@example.com,oncall@example.com",
      [PRODUCT_VERSION_ENV]: "9.11.2",
      [INSTALLATION_ID_ENV]: "inst-42",
      POWERTOOLS_SERVICE_NAME: "herald-security-alert-check",
      POWERTOOLS_LOG_LEVEL: "INFO",
      POWERTOOLS_METRICS_NAMESPACE: "Herald",
    });
  });

  it("runs daily on an enabled EventBridge Scheduler schedule with retries", () => {
    s.template.hasResourceProperties("AWS::Scheduler::Schedule", {
      ScheduleExpression: "rate(1 day)",
      State: "ENABLED",
      FlexibleTimeWindow: { Mode: "OFF" },
      Target: {
        Arn: { "Fn::GetAtt": [logicalId(s.alerts.check.function), "Arn"] },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
      },
    });
  });

  it("lets the scheduler invoke the check and nothing else", () => {
    const [role] = Object.entries(s.template.findResources("AWS::IAM::Role")).filter(([, r]) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes("scheduler.amazonaws.com"),
    );
    expect(role).toBeDefined();
    const policies = Object.values(s.template.findResources("AWS::IAM::Policy")).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(role![0]),
    );
    const allowed = policies
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .flatMap((st) => [st.Action].flat());
    expect([...new Set(allowed)]).toEqual(["lambda:InvokeFunction"]);
  });

  it("reads the settings and writes the table; nothing else", () => {
    expect(allowedActions(s.template, s.alerts.check.role)).toEqual([
      "dynamodb:DeleteItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "kms:Decrypt",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "ssm:GetParametersByPath",
    ]);
    expect(
      statementsOf(s.template, s.alerts.check.role).some((st) => JSON.stringify(st).includes("ses:")),
    ).toBe(false);
  });

  it("gives the run time for three feed requests and the sends", () => {
    expect(s.template.toJSON().Resources[logicalId(s.alerts.check.function)].Properties.Timeout).toBe(60);
    const slow = build({ feedTimeout: Duration.seconds(30) });
    expect(slow.template.toJSON().Resources[logicalId(slow.alerts.check.function)].Properties.Timeout).toBe(
      120,
    );
  });

  it("without a product version, deploys the check with its schedule disabled", () => {
    const off = build({ schedule: "cron(0 8 * * ? *)" });
    off.template.hasResourceProperties("AWS::Scheduler::Schedule", {
      ScheduleExpression: "cron(0 8 * * ? *)",
      State: "DISABLED",
    });
    expect(variables(off)).not.toHaveProperty(PRODUCT_VERSION_ENV);
    expect(variables(off)).not.toHaveProperty(INSTALLATION_ID_ENV);
  });

  it("passes cdk-nag and raises no CDK warning", () => {
    expect(nagFindings(s.stack)).toEqual([]);
    expect(warningsAndErrors(s.stack)).toEqual([]);
  });

  it.each([
    [{ adminEmails: [] }, "SecurityAlerts: adminEmails [] is empty"],
    [{ adminEmails: ["ops@"] }, 'SecurityAlerts: adminEmails "ops@" is not an email address'],
    [{ productVersion: "latest" }, 'SecurityAlerts: productVersion "latest" is not a semantic version'],
    [
      { securityFeedUrl: "file:///etc/passwd" },
      'SecurityAlerts: securityFeedUrl "file:///etc/passwd" is not an http(s) URL',
    ],
    [{ schedule: "every day" }, 'SecurityAlerts: schedule "every day" is not a schedule expression'],
    [{ installationId: "has space" }, 'SecurityAlerts: installationId "has space" is not 1 to 128 printable'],
    [{ transport: "ses-api" as const }, "SecurityAlerts: sendingIdentity is required with transport ses-api"],
  ])("refuses %j", (props, message) => {
    const stack = freshStack();
    const settings = EmailSettingsParameters.fromParameterPrefix(stack, "Settings", "/herald");
    expect(
      () => new SecurityAlerts(stack, "A", { settings, adminEmails: ["ops@example.com"], ...props }),
    ).toThrow(message);
  });
});
