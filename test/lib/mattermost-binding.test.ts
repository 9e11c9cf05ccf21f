// A Mattermost ECS Fargate service bound to the settings: the MM_* environment, the SMTP
// credentials as secrets read from SSM, and an execution role that reads only those.
import { Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { Vpc } from "aws-cdk-lib/aws-ec2";
import { Cluster, ContainerImage, FargateService, FargateTaskDefinition } from "aws-cdk-lib/aws-ecs";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { afterAll, describe, expect, it } from "vitest";
import {
  EmailSettingsParameters,
  type EmailSettingsParametersProps,
} from "../../lib/email-settings-parameters.ts";
import { envVarName } from "../../src/constants.ts";
import { SETTINGS_BY_ANY_PATH } from "../../src/settings/model.ts";
import {
  actions,
  ARN,
  freshStack,
  REGION_ACCOUNT,
  removeOutdirs,
  resources,
  statementsOf,
} from "../helpers/cdk.ts";

afterAll(removeOutdirs);

const SMTP_PROPS: EmailSettingsParametersProps = {
  parameterPrefix: "/acme/mail",
  senderAddress: "notifications@example.com",
  senderName: "Acme Chat",
  siteUrl: "https://chat.example.com",
  smtp: { server: "email-smtp.eu-west-1.amazonaws.com", port: 587, connectionSecurity: "STARTTLS" },
};

function bound(props: EmailSettingsParametersProps = SMTP_PROPS) {
  const stack = freshStack();
  const settings = new EmailSettingsParameters(stack, "Settings", props);
  const vpc = new Vpc(stack, "Vpc", { maxAzs: 2, natGateways: 0 });
  const cluster = new Cluster(stack, "Cluster", { vpc });
  const taskDefinition = new FargateTaskDefinition(stack, "Mattermost");
  const container = taskDefinition.addContainer("mattermost", {
    image: ContainerImage.fromRegistry("mattermost/mattermost-team-edition:10.5"),
    environment: { MM_SQLSETTINGS_DRIVERNAME: "postgres" },
  });
  const grant = settings.bindToMattermost(container);
  new FargateService(stack, "Service", { cluster, taskDefinition });
  const template = Template.fromStack(stack);
  const containers = template.toJSON().Resources[
    stack.getLogicalId(taskDefinition.node.defaultChild as never)
  ].Properties.ContainerDefinitions as Array<{
    Environment?: Array<{ Name: string; Value: string }>;
    Secrets?: Array<{ Name: string; ValueFrom: unknown }>;
  }>;
  return { stack, settings, taskDefinition, grant, template, definition: containers[0]! };
}

const PARAMETER = `${ARN}:ssm:${REGION_ACCOUNT}:parameter/acme/mail/EmailSettings`;

describe("EmailSettingsParameters.bindToMattermost", () => {
  const { settings, taskDefinition, grant, template, definition } = bound();
  const environment = definition.Environment ?? [];
  const secrets = definition.Secrets ?? [];

  it("gives each written setting as the variable Mattermost reads, once, with its value", () => {
    const names = [...environment, ...secrets].map((entry) => entry.Name);
    expect(new Set(names).size).toBe(names.length);
    const mmEnvironment = Object.fromEntries(
      environment
        .filter((e) => e.Name.startsWith("MM_EMAILSETTINGS") || e.Name.includes("SITEURL"))
        .map((e) => [e.Name, e.Value]),
    );
    expect(mmEnvironment).toEqual({
      MM_EMAILSETTINGS_SENDEMAILNOTIFICATIONS: "true",
      MM_EMAILSETTINGS_FEEDBACKEMAIL: "notifications@example.com",
      MM_EMAILSETTINGS_REPLYTOADDRESS: "notifications@example.com",
      MM_EMAILSETTINGS_FEEDBACKNAME: "Acme Chat",
      MM_EMAILSETTINGS_SMTPSERVER: "email-smtp.eu-west-1.amazonaws.com",
      MM_EMAILSETTINGS_SMTPPORT: "587",
      MM_EMAILSETTINGS_CONNECTIONSECURITY: "STARTTLS",
      MM_EMAILSETTINGS_ENABLESMTPAUTH: "true",
      MM_SERVICESETTINGS_SITEURL: "https://chat.example.com",
    });
    // Mattermost's server keeps this one under ServiceSettings (the registry's serverPath).
    expect(environment).toContainEqual({ Name: "MM_SERVICESETTINGS_ENABLESECURITYFIXALERT", Value: "true" });
    // Every parameter written has its variable, and the container's own variables stay.
    for (const path of settings.parameters.keys()) {
      expect(names).toContain(envVarName(SETTINGS_BY_ANY_PATH.get(path)!.serverPath));
    }
    expect(environment).toContainEqual({ Name: "MM_SQLSETTINGS_DRIVERNAME", Value: "postgres" });
  });

  it("gives the username and password only as secrets naming their parameters' ARNs", () => {
    const flatSecrets = secrets.map((s) => [s.Name, resources({ Resource: s.ValueFrom } as never)[0]]);
    expect(flatSecrets).toEqual([
      ["MM_EMAILSETTINGS_SMTPUSERNAME", `${PARAMETER}/SMTPUsername`],
      ["MM_EMAILSETTINGS_SMTPPASSWORD", `${PARAMETER}/SMTPPassword`],
    ]);
    expect(environment.map((e) => e.Name)).not.toContain("MM_EMAILSETTINGS_SMTPPASSWORD");
    expect(environment.map((e) => e.Name)).not.toContain("MM_EMAILSETTINGS_SMTPUSERNAME");
  });

  it("lets the execution role read exactly those two parameters and decrypt with the settings' key", () => {
    const statements = statementsOf(template, taskDefinition.executionRole!);
    const keyArn = `\${${Stack.of(settings).getLogicalId(settings.encryptionKey.node.defaultChild as never)}.Arn}`;
    // every (action, resource) pair allowed, however CDK merged the statements
    const pairs = statements.flatMap((s) =>
      actions(s).flatMap((action) => resources(s).map((r) => `${action} ${r}`)),
    );
    const read = [
      "ssm:DescribeParameters",
      "ssm:GetParameter",
      "ssm:GetParameterHistory",
      "ssm:GetParameters",
    ];
    expect(new Set(pairs)).toEqual(
      new Set([
        ...read.flatMap((action) => [
          `${action} ${PARAMETER}/SMTPUsername`,
          `${action} ${PARAMETER}/SMTPPassword`,
        ]),
        `kms:Decrypt ${keyArn}`,
      ]),
    );
    expect(statements.every((s) => s.Effect === "Allow" && s.Condition === undefined)).toBe(true);
    expect(grant.success).toBe(true);
    expect(
      grant.principalStatements
        .flatMap((s) => s.resources)
        .map((r) => resources({ Resource: Stack.of(settings).resolve(r) } as never)[0]),
    ).toEqual([`${PARAMETER}/SMTPUsername`, `${PARAMETER}/SMTPPassword`]);
  });

  it("puts no secret into the template: no secure dynamic reference, no password value", () => {
    const text = JSON.stringify(template.toJSON());
    expect(text).not.toContain("resolve:ssm-secure");
    expect(text).not.toMatch(/"MM_EMAILSETTINGS_SMTPPASSWORD","Value"/);
    expect(Object.keys(template.findParameters("*"))).not.toContainEqual(expect.stringMatching(/Smtp/));
  });

  it("hands over no credentials when the settings do not use SMTP AUTH, and returns a dropped grant", () => {
    const { grant: dropped, definition: noAuth } = bound({
      senderAddress: "notifications@example.com",
      smtp: { server: "mail.internal", port: 25, connectionSecurity: "" },
    });
    expect(noAuth.Secrets ?? []).toEqual([]);
    expect(noAuth.Environment).toContainEqual({ Name: "MM_EMAILSETTINGS_ENABLESMTPAUTH", Value: "false" });
    expect(dropped.principalStatements).toEqual([]);
  });
});

describe("EmailSettingsParameters.grantRead", () => {
  it("returns the grant of the prefix and the key for any principal", () => {
    const stack = freshStack();
    const settings = new EmailSettingsParameters(stack, "Settings", SMTP_PROPS);
    const role = new Role(stack, "ExternalSecrets", { assumedBy: new ServicePrincipal("ec2.amazonaws.com") });
    const grant = settings.grantRead(role);
    expect(grant.success).toBe(true);
    const granted = grant.principalStatements.flatMap((s) => s.actions).sort();
    expect(granted).toEqual(["kms:Decrypt", "ssm:GetParametersByPath"]);
    const statements = statementsOf(Template.fromStack(stack), role);
    expect(statements.flatMap(resources)).toContain(`${ARN}:ssm:${REGION_ACCOUNT}:parameter/acme/mail/*`);
  });
});
