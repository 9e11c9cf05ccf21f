// EmailSettingsParameters alone in a fresh stack: the non-secret settings as String
// parameters named after the config paths, the key of the secret ones, and the read grant.
import { Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { afterAll, describe, expect, it } from "vitest";
import { EmailSettingsParameters } from "../../lib/email-settings-parameters.ts";
import { SETTINGS } from "../../src/settings/model.ts";
import {
  actions,
  ARN,
  flat,
  freshStack,
  logicalId,
  nagFindings,
  REGION_ACCOUNT,
  removeOutdirs,
  resources,
  statementsOf,
} from "../helpers/cdk.ts";

afterAll(removeOutdirs);

function build(props: Partial<ConstructorParameters<typeof EmailSettingsParameters>[2]> = {}) {
  const stack = freshStack();
  const settings = new EmailSettingsParameters(stack, "Settings", {
    senderAddress: "notifications@example.com",
    ...props,
  });
  const reader = new Role(stack, "Reader", { assumedBy: new ServicePrincipal("lambda.amazonaws.com") });
  settings.grantRead(reader);
  return { stack, settings, reader, template: Template.fromStack(stack) };
}

function parameters(template: Template): Record<string, string> {
  const found = template.findResources("AWS::SSM::Parameter");
  return Object.fromEntries(
    Object.values(found).map((r) => [r.Properties.Name as string, flat(r.Properties.Value)]),
  );
}

describe("EmailSettingsParameters", () => {
  const full = build({
    parameterPrefix: "acme/mail/",
    senderName: "Acme Chat",
    siteUrl: "https://chat.example.com",
    siteName: "Acme",
    smtp: { server: "smtp.example.net", port: 587, connectionSecurity: "STARTTLS" },
  });

  it("writes each given setting as a String parameter named after its config path", () => {
    expect(parameters(full.template)).toEqual({
      "/acme/mail/EmailSettings/SendEmailNotifications": "true",
      "/acme/mail/EmailSettings/FeedbackEmail": "notifications@example.com",
      "/acme/mail/EmailSettings/ReplyToAddress": "notifications@example.com",
      "/acme/mail/EmailSettings/FeedbackName": "Acme Chat",
      "/acme/mail/EmailSettings/EnableSecurityFixAlert": "true",
      "/acme/mail/EmailSettings/SMTPServer": "smtp.example.net",
      "/acme/mail/EmailSettings/SMTPPort": "587",
      "/acme/mail/EmailSettings/ConnectionSecurity": "STARTTLS",
      "/acme/mail/EmailSettings/EnableSMTPAuth": "true",
      "/acme/mail/ServiceSettings/SiteURL": "https://chat.example.com",
      "/acme/mail/TeamSettings/SiteName": "Acme",
    });
    full.template.allResourcesProperties("AWS::SSM::Parameter", { Type: "String" });
    expect(full.settings.parameterNames).toHaveLength(11);
  });

  it("names only settings the runtime knows, and never a secret", () => {
    const known = new Set(SETTINGS.map((def) => def.path));
    for (const path of full.settings.parameters.keys()) expect(known).toContain(path);
    expect(Object.keys(parameters(full.template)).join()).not.toMatch(/SMTPPassword|SMTPUsername/);
  });

  it("writes nothing empty (SSM refuses empty values) and no SMTP settings when none are given", () => {
    const names = Object.keys(parameters(build().template));
    expect(names).toEqual([
      "/herald/EmailSettings/SendEmailNotifications",
      "/herald/EmailSettings/FeedbackEmail",
      "/herald/EmailSettings/ReplyToAddress",
      "/herald/EmailSettings/EnableSecurityFixAlert",
    ]);
    const clear = build({ smtp: { server: "localhost", port: 25, connectionSecurity: "" } });
    expect(parameters(clear.template)).toMatchObject({ "/herald/EmailSettings/EnableSMTPAuth": "false" });
    expect(Object.keys(parameters(clear.template))).not.toContain("/herald/EmailSettings/ConnectionSecurity");
  });

  it("creates a customer-managed key with rotation for the SecureString settings", () => {
    full.template.resourceCountIs("AWS::KMS::Key", 1);
    full.template.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true });
  });

  it("grants reading the prefix and decrypting with its key through SSM only", () => {
    const statements = statementsOf(full.template, full.reader);
    expect(statements.map((s) => actions(s))).toEqual([["ssm:GetParametersByPath"], ["kms:Decrypt"]]);
    expect(resources(statements[0]!)).toEqual([
      `${ARN}:ssm:${REGION_ACCOUNT}:parameter/acme/mail`,
      `${ARN}:ssm:${REGION_ACCOUNT}:parameter/acme/mail/*`,
    ]);
    expect(statements[1]!.Resource).toEqual({
      "Fn::GetAtt": [logicalId(full.settings.encryptionKey), "Arn"],
    });
    expect(flat(statements[1]!.Condition?.StringEquals?.["kms:ViaService"])).toBe(
      "ssm.${AWS::Region}.amazonaws.com",
    );
  });

  it("passes cdk-nag, its one wildcard acknowledged", () => {
    expect(nagFindings(full.stack)).toEqual([]);
  });

  it("imports settings under a prefix: with aws/ssm, any key but only through SSM for that prefix", () => {
    const stack = freshStack();
    const settings = EmailSettingsParameters.fromParameterPrefix(stack, "Imported", "/legacy");
    const reader = new Role(stack, "Reader", { assumedBy: new ServicePrincipal("lambda.amazonaws.com") });
    settings.grantRead(reader);
    const template = Template.fromStack(stack);
    const kms = statementsOf(template, reader).find((s) => actions(s).includes("kms:Decrypt"))!;
    expect(resources(kms)).toEqual([`${ARN}:kms:${REGION_ACCOUNT}:key/*`]);
    expect(flat(kms.Condition?.StringLike?.["kms:EncryptionContext:PARAMETER_ARN"])).toBe(
      `${ARN}:ssm:${REGION_ACCOUNT}:parameter/legacy/*`,
    );
    template.resourceCountIs("AWS::SSM::Parameter", 0);
    expect(nagFindings(stack)).toEqual([]);
  });

  it("acknowledges with the concrete ARN when the stack has a region", () => {
    const stack = freshStack({ region: "eu-west-1" });
    new EmailSettingsParameters(stack, "S", { senderAddress: "n@example.com" }).grantRead(
      new Role(stack, "R", { assumedBy: new ServicePrincipal("lambda.amazonaws.com") }),
    );
    expect(nagFindings(stack)).toEqual([]);
    Template.fromStack(stack).hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Resource: Match.arrayWith([{ "Fn::Join": ["", Match.arrayWith(["arn:aws:ssm:eu-west-1:"])] }]),
          }),
        ]),
      },
    });
  });

  it.each([
    [{ senderAddress: "nobody" }, 'EmailSettingsParameters: senderAddress "nobody" is not an email address'],
    [{ parameterPrefix: "/ssm/x" }, 'EmailSettingsParameters: parameterPrefix "/ssm/x" is reserved by AWS'],
    [{ siteUrl: "chat" }, 'EmailSettingsParameters: siteUrl "chat" is not an http(s) URL'],
    [{ senderName: "a\r\nb" }, "senderName"],
    [
      { smtp: { server: "h", port: 0, connectionSecurity: "" as const } },
      "EmailSettingsParameters: smtp.port 0 is not a port number",
    ],
    [
      { smtp: { server: "h", port: 25, connectionSecurity: "" as const, timeoutSeconds: 3601 } },
      "EmailSettingsParameters: smtp.timeoutSeconds 3601 is not a whole number of seconds from 1 to 3600",
    ],
  ])("refuses %j", (props, message) => {
    expect(
      () => new EmailSettingsParameters(new Stack(), "S", { senderAddress: "n@example.com", ...props }),
    ).toThrow(message);
  });
});
