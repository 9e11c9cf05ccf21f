// SmtpCredentials alone in a fresh stack: the sending user, the custom resource and its
// handler's permissions, rotation by serial, the region rule, and no secret in the template.
import { Match, Template } from "aws-cdk-lib/assertions";
import { Key } from "aws-cdk-lib/aws-kms";
import { afterAll, describe, expect, it } from "vitest";
import { EmailSettingsParameters } from "../../lib/email-settings-parameters.ts";
import { SendingDomain } from "../../lib/sending-domain.ts";
import { Duration } from "aws-cdk-lib";
import { Cluster, FargateService } from "aws-cdk-lib/aws-ecs";
import { SmtpCredentials, type SmtpCredentialsProps } from "../../lib/smtp-credentials.ts";
import { SMTP_CREDENTIALS_PROPERTY } from "../../src/ses/smtp-credentials-contract.ts";
import {
  actions,
  allowedActions,
  ARN,
  flat,
  freshStack,
  logicalId,
  nagFindings,
  REGION_ACCOUNT,
  removeOutdirs,
  resources,
  statementsOf,
  warningsAndErrors,
} from "../helpers/cdk.ts";

afterAll(removeOutdirs);

function build(
  options: { region?: string; serial?: string } & Partial<
    Pick<SmtpCredentialsProps, "gracePeriod" | "rotationInterval" | "previousParameterPrefixes">
  > & { withService?: boolean } = {},
) {
  const { region, serial, withService, ...rest } = options;
  const stack = freshStack(region ? { region } : undefined);
  const settings = EmailSettingsParameters.fromParameterPrefix(stack, "Settings", "/herald");
  const domain = new SendingDomain(stack, "Domain", { domain: "example.com" });
  const service = withService
    ? FargateService.fromFargateServiceAttributes(stack, "Chat", {
        serviceArn: "arn:aws:ecs:eu-central-1:123456789012:service/chat/mattermost",
        cluster: Cluster.fromClusterArn(
          stack,
          "Cluster",
          "arn:aws:ecs:eu-central-1:123456789012:cluster/chat",
        ),
      })
    : undefined;
  const credentials = new SmtpCredentials(stack, "Credentials", {
    settings,
    sendingIdentity: domain,
    senderAddress: "notifications@example.com",
    ...(serial ? { serial } : {}),
    ...(service ? { restartServices: [service] } : {}),
    ...rest,
  });
  return { stack, domain, credentials, template: Template.fromStack(stack) };
}

function schedules(template: Template) {
  return Object.values(template.findResources("AWS::Scheduler::Schedule")).map(
    (r) =>
      r.Properties as {
        ScheduleExpression: string;
        Target: { Input: string; RoleArn: unknown; Arn: unknown };
      },
  );
}

function customResource(template: Template) {
  const [resource] = Object.values(template.findResources("Custom::HeraldSmtpCredentials"));
  return resource!.Properties as Record<string, unknown>;
}

describe("SmtpCredentials", () => {
  const s = build();

  it("creates a user that may only send raw email as the sender, through the identity and configuration set", () => {
    const statements = statementsOf(s.template, s.credentials.user);
    expect(statements).toHaveLength(2);
    expect(statements.every((st) => st.Condition?.StringEqualsIgnoreCase?.["ses:FromAddress"])).toBe(true);
    expect(statements[0]).toMatchObject({
      Effect: "Allow",
      Action: "ses:SendRawEmail",
      Condition: { StringEqualsIgnoreCase: { "ses:FromAddress": "notifications@example.com" } },
    });
    expect(resources(statements[0]!).sort()).toEqual([
      `${ARN}:ses:${REGION_ACCOUNT}:configuration-set/\${${logicalId(s.domain.configurationSet)}}`,
      `${ARN}:ses:${REGION_ACCOUNT}:identity/\${${logicalId(s.domain.identity)}}`,
    ]);
    s.template.hasResourceProperties("AWS::IAM::User", {});
    expect(
      s.template.toJSON().Resources[logicalId(s.credentials.user)].Properties?.ManagedPolicyArns,
    ).toBeUndefined();
  });

  it("may send as the sender to verified recipients in the SES sandbox, where SES also authorizes each recipient identity", () => {
    // In the sandbox SES checks ses:SendRawEmail on every recipient's identity too
    // (".. not authorized to perform ses:SendRawEmail on resource identity/you@example.net"):
    // without this the README's sandbox test fails with 554 Access denied.
    const statements = statementsOf(s.template, s.credentials.user);
    const sandbox = statements.find((st) =>
      resources(st).includes(`${ARN}:ses:${REGION_ACCOUNT}:identity/*`),
    );
    expect(sandbox).toMatchObject({
      Effect: "Allow",
      Action: "ses:SendRawEmail",
      Condition: { StringEqualsIgnoreCase: { "ses:FromAddress": "notifications@example.com" } },
    });
    expect(resources(sandbox!)).toEqual([`${ARN}:ses:${REGION_ACCOUNT}:identity/*`]);
  });

  it("keeps the secret out of the template: no AccessKey resource, a custom resource instead", () => {
    s.template.resourceCountIs("AWS::IAM::AccessKey", 0);
    expect(JSON.stringify(s.template.toJSON())).not.toMatch(/SecretAccessKey/);
    const props = customResource(s.template);
    expect(Object.keys(props).sort()).toEqual(
      [
        "ServiceToken",
        ...Object.values(SMTP_CREDENTIALS_PROPERTY).filter(
          (p) => p !== SMTP_CREDENTIALS_PROPERTY.restartServices,
        ),
      ].sort(),
    );
    expect(props).toMatchObject({
      UserName: { Ref: logicalId(s.credentials.user) },
      ParameterPrefix: "/herald",
      KmsKeyId: { "Fn::GetAtt": [logicalId(s.credentials.encryptionKey), "Arn"] },
      Region: { Ref: "AWS::Region" },
      Serial: "1",
      GracePeriodSeconds: "86400",
    });
    expect(s.credentials.usernameParameterName).toBe("/herald/EmailSettings/SMTPUsername");
    expect(s.credentials.passwordParameterName).toBe("/herald/EmailSettings/SMTPPassword");
  });

  it("encrypts the password with a customer-managed key with rotation when the settings bring none", () => {
    s.template.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true });
  });

  it("lets its handler manage keys of that user and write exactly the two parameters", () => {
    const role = s.credentials.handler.role;
    expect(allowedActions(s.template, role)).toEqual([
      "iam:CreateAccessKey",
      "iam:DeleteAccessKey",
      "iam:ListAccessKeys", // which keys exist: room within IAM's two, grace cleanup, Delete of all
      "kms:Decrypt", // a failed write restores the previous password
      "kms:Encrypt",
      "kms:GenerateDataKey",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "ssm:DeleteParameters",
      "ssm:GetParameters",
      "ssm:PutParameter",
    ]);
    const statements = statementsOf(s.template, role);
    const iam = statements.find((st) => actions(st).includes("iam:CreateAccessKey"))!;
    expect(iam.Resource).toEqual({ "Fn::GetAtt": [logicalId(s.credentials.user), "Arn"] });
    const ssm = statements.find((st) => actions(st).includes("ssm:PutParameter"))!;
    expect(resources(ssm).sort()).toEqual([
      `${ARN}:ssm:${REGION_ACCOUNT}:parameter/herald/EmailSettings/SMTPPassword`,
      `${ARN}:ssm:${REGION_ACCOUNT}:parameter/herald/EmailSettings/SMTPUsername`,
    ]);
    const kms = statements.find((st) => actions(st).includes("kms:Encrypt"))!;
    expect(flat(kms.Condition?.StringEquals?.["kms:ViaService"])).toBe("ssm.${AWS::Region}.amazonaws.com");
  });

  it("gives its handler five minutes: the login proof waits for IAM's propagation", () => {
    s.template.hasResourceProperties("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("SMTP credentials"),
      Timeout: 300,
    });
  });

  it("by default keeps the previous key a day and cleans up hourly through EventBridge Scheduler, with no secret in the input", () => {
    const [cleanup, ...others] = schedules(s.template);
    expect(others).toEqual([]);
    expect(cleanup!.ScheduleExpression).toBe("rate(1 hour)");
    const input = JSON.parse(flat(cleanup!.Target.Input)) as { properties: Record<string, string> };
    expect(input).toMatchObject({
      heraldSmtpCredentialsTask: "cleanup",
      properties: { ParameterPrefix: "/herald", GracePeriodSeconds: "86400", Region: "${AWS::Region}" },
    });
    expect(Object.keys(input.properties).sort()).toEqual([
      "GracePeriodSeconds",
      "KmsKeyId",
      "ParameterPrefix",
      "Region",
      "UserName",
    ]);
    expect(s.credentials.cleanupSchedule).toBeDefined();
    expect(s.credentials.rotationSchedule).toBeUndefined();
    const trust = Object.values(s.template.findResources("AWS::IAM::Role")).find((r) =>
      JSON.stringify(r).includes("scheduler.amazonaws.com"),
    )!;
    expect(trust.Properties.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({
      StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } },
    });
  });

  it("with a grace period of 0: no schedule and no scheduler role (today's behaviour)", () => {
    const none = build({ gracePeriod: Duration.seconds(0) });
    expect(customResource(none.template).GracePeriodSeconds).toBe("0");
    none.template.resourceCountIs("AWS::Scheduler::Schedule", 0);
    expect(JSON.stringify(none.template.toJSON())).not.toContain("scheduler.amazonaws.com");
  });

  it("rotates on a schedule when asked, restarts the services given, and stays nag-clean", () => {
    const scheduled = build({ rotationInterval: Duration.days(30), withService: true });
    const rotation = schedules(scheduled.template).find((sc) => flat(sc.Target.Input).includes('"rotate"'))!;
    expect(rotation.ScheduleExpression).toBe("rate(30 days)");
    expect(flat(rotation.Target.Input)).toContain(
      "arn:aws:ecs:eu-central-1:123456789012:cluster/chat|arn:aws:ecs:eu-central-1:123456789012:service/chat/mattermost",
    );
    expect(customResource(scheduled.template).RestartServices).toEqual([
      "arn:aws:ecs:eu-central-1:123456789012:cluster/chat|arn:aws:ecs:eu-central-1:123456789012:service/chat/mattermost",
    ]);
    const ecs = statementsOf(scheduled.template, scheduled.credentials.handler.role).find((st) =>
      actions(st).includes("ecs:UpdateService"),
    )!;
    expect(resources(ecs)).toEqual(["arn:aws:ecs:eu-central-1:123456789012:service/chat/mattermost"]);
    expect(nagFindings(scheduled.stack)).toEqual([]);
    expect(JSON.stringify(scheduled.template.toJSON())).not.toMatch(
      /SecretAccessKey|SMTPPassword"?:\s*"[^/]/,
    );
  });

  it("refuses a rotation interval under an hour or within the grace period", () => {
    expect(() => build({ rotationInterval: Duration.hours(12) })).toThrow(
      /SmtpCredentials: rotationInterval "12 hours" must be at least an hour and longer than the grace period \(1 day\)/,
    );
    expect(() => build({ rotationInterval: Duration.minutes(30), gracePeriod: Duration.seconds(0) })).toThrow(
      /rotationInterval "30 minutes"/,
    );
  });

  it("covers the previous prefix's pair when the prefix changes (a clean move, not an orphan and an AccessDenied)", () => {
    const moved = build({ previousParameterPrefixes: ["/old"] });
    const ssm = statementsOf(moved.template, moved.credentials.handler.role).find((st) =>
      actions(st).includes("ssm:DeleteParameters"),
    )!;
    expect(resources(ssm).sort()).toEqual([
      `${ARN}:ssm:${REGION_ACCOUNT}:parameter/herald/EmailSettings/SMTPPassword`,
      `${ARN}:ssm:${REGION_ACCOUNT}:parameter/herald/EmailSettings/SMTPUsername`,
      `${ARN}:ssm:${REGION_ACCOUNT}:parameter/old/EmailSettings/SMTPPassword`,
      `${ARN}:ssm:${REGION_ACCOUNT}:parameter/old/EmailSettings/SMTPUsername`,
    ]);
  });

  it("runs the Provider framework with a role of its own: no AWS managed policy", () => {
    for (const role of Object.values(s.template.findResources("AWS::IAM::Role"))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it("rotates by serial: a new serial changes the resource's properties, nothing else", () => {
    const rotated = build({ serial: "2" });
    expect(customResource(rotated.template).Serial).toBe("2");
    expect({ ...customResource(rotated.template), Serial: "1" }).toEqual(customResource(s.template));
  });

  it("without a known region, lets CloudFormation refuse a region with no SES SMTP endpoint", () => {
    const rules = Object.values(s.template.toJSON().Rules as Record<string, object>);
    const rule = rules.find((r) => JSON.stringify(r).includes("SES SMTP endpoint"));
    const assertion = (rule as { Assertions: { Assert: { "Fn::Contains": [string[], unknown] } }[] })
      .Assertions[0]!;
    expect(assertion.Assert["Fn::Contains"][0]).toEqual(
      expect.arrayContaining(["eu-west-1", "us-east-1", "eu-central-1"]),
    );
    expect(assertion.Assert["Fn::Contains"][1]).toEqual({ Ref: "AWS::Region" });
  });

  it("with a known region, checks it at synthesis", () => {
    const known = build({ region: "eu-central-1" });
    expect(
      Object.keys(known.template.toJSON().Rules ?? {}).filter((r) => r !== "CheckBootstrapVersion"),
    ).toEqual([]);
    expect(() => build({ region: "cn-north-1" })).toThrow(
      'SmtpCredentials: region "cn-north-1" has no SES SMTP endpoint (email-smtp.cn-north-1.amazonaws.com)',
    );
  });

  it("encrypts the password with the settings' key, or its own when they have none (no key prop)", () => {
    const stack = freshStack();
    const domain = new SendingDomain(stack, "D", { domain: "example.com" });
    const key = new Key(stack, "SettingsKey", { enableKeyRotation: true });
    const keyed = EmailSettingsParameters.fromParameterPrefix(stack, "S", "/herald", key);
    const props = { sendingIdentity: domain, senderAddress: "n@example.com" };
    expect(new SmtpCredentials(stack, "C", { ...props, settings: keyed }).encryptionKey).toBe(key);
    const plain = EmailSettingsParameters.fromParameterPrefix(stack, "P", "/other");
    expect(new SmtpCredentials(stack, "O", { ...props, settings: plain }).encryptionKey).not.toBe(key);
    // @ts-expect-error a key prop ignored whenever the settings had one is gone (issue 17 item 11)
    new SmtpCredentials(stack, "X", { ...props, settings: plain, encryptionKey: key });
  });

  it("passes cdk-nag and raises no CDK warning", () => {
    expect(nagFindings(s.stack)).toEqual([]);
    expect(warningsAndErrors(s.stack)).toEqual([]);
  });

  it.each([
    [{ senderAddress: "nope" }, 'SmtpCredentials: senderAddress "nope" is not an email address'],
    [{ serial: " " }, 'SmtpCredentials: serial " " is empty'],
  ])("refuses %j", (props, message) => {
    const stack = freshStack();
    const domain = new SendingDomain(stack, "D", { domain: "example.com" });
    const settings = EmailSettingsParameters.fromParameterPrefix(stack, "S", "/herald");
    expect(
      () =>
        new SmtpCredentials(stack, "C", {
          settings,
          sendingIdentity: domain,
          senderAddress: "n@example.com",
          ...props,
        }),
    ).toThrow(message);
  });
});
