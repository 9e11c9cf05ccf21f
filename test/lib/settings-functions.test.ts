// SettingsFunctions alone in a fresh stack: test-send and validate-settings with the settings
// and (validate-settings) read access to SES.
import { Template } from "aws-cdk-lib/assertions";
import { afterAll, describe, expect, it } from "vitest";
import { EmailSettingsParameters } from "../../lib/email-settings-parameters.ts";
import { SendingDomain } from "../../lib/sending-domain.ts";
import { SettingsFunctions } from "../../lib/settings-functions.ts";
import { ALLOWED_SENDER_ENV, PARAMETER_PREFIX_ENV, TRANSPORT_ENV } from "../../src/constants.ts";
import {
  allowedActions,
  ARN,
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

describe("SettingsFunctions", () => {
  const stack = freshStack();
  const settings = EmailSettingsParameters.fromParameterPrefix(stack, "Settings", "/herald");
  const tools = new SettingsFunctions(stack, "Tools", { settings, transport: "smtp" });
  const template = Template.fromStack(stack);
  const fn = (f: typeof tools.testSend) => template.toJSON().Resources[logicalId(f.function)].Properties;

  it("deploys test-send and validate-settings on Node 24, arm64, 30 s, with the prefix and transport", () => {
    for (const [f, service] of [
      [tools.testSend, "herald-test-send"],
      [tools.validateSettings, "herald-validate-settings"],
    ] as const) {
      expect(fn(f)).toMatchObject({
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
        Timeout: 30,
        MemorySize: 256,
      });
      expect(fn(f).Environment.Variables).toMatchObject({
        [PARAMETER_PREFIX_ENV]: "/herald",
        [TRANSPORT_ENV]: "smtp",
        POWERTOOLS_SERVICE_NAME: service,
      });
      expect(fn(f).LoggingConfig).toEqual({ LogGroup: { Ref: logicalId(f.logGroup) } });
    }
    template.allResourcesProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
  });

  it("lets test-send read the settings and write its logs, nothing else", () => {
    expect(allowedActions(template, tools.testSend.role)).toEqual([
      "kms:Decrypt",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "ssm:GetParametersByPath",
    ]);
  });

  it("lets validate-settings also read the SES account and identities", () => {
    expect(allowedActions(template, tools.validateSettings.role)).toEqual([
      "kms:Decrypt",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "ses:GetAccount",
      "ses:GetEmailIdentity",
      "ssm:GetParametersByPath",
    ]);
    const identity = statementsOf(template, tools.validateSettings.role).find(
      (s) => s.Action === "ses:GetEmailIdentity",
    )!;
    expect(resources(identity)).toEqual([`${ARN}:ses:${REGION_ACCOUNT}:identity/*`]);
  });

  it("with a sending domain, reads only that identity", () => {
    const s2 = freshStack();
    const settings2 = EmailSettingsParameters.fromParameterPrefix(s2, "Settings", "/herald");
    const domain = new SendingDomain(s2, "Domain", { domain: "example.com" });
    const tools2 = new SettingsFunctions(s2, "Tools", { settings: settings2, sendingIdentity: domain });
    const t2 = Template.fromStack(s2);
    const identity = statementsOf(t2, tools2.validateSettings.role).find(
      (s) => s.Action === "ses:GetEmailIdentity",
    )!;
    expect(resources(identity)).toEqual([
      `${ARN}:ses:${REGION_ACCOUNT}:identity/\${${logicalId(domain.identity)}}`,
    ]);
    expect(nagFindings(s2)).toEqual([]);
  });

  it("passes cdk-nag and raises no CDK warning", () => {
    expect(nagFindings(stack)).toEqual([]);
    expect(warningsAndErrors(stack)).toEqual([]);
  });

  it.each([
    ["ses-smtp", "notifications@example.com"],
    ["ses-api", "example.com"],
    ["smtp", undefined],
  ] as const)(
    "with transport %s, tells validate-settings the sender the deployment may send as: %s",
    (transport, allowed) => {
      const s = freshStack();
      const domain = new SendingDomain(s, "Domain", { domain: "example.com" });
      const prefs = EmailSettingsParameters.fromParameterPrefix(s, "Settings", "/herald");
      const f = new SettingsFunctions(s, "Tools", {
        settings: prefs,
        transport,
        sendingIdentity: domain,
        senderAddress: "notifications@example.com",
      });
      const resources = Template.fromStack(s).toJSON().Resources;
      const env = (h: typeof f.testSend) => resources[logicalId(h.function)].Properties.Environment.Variables;
      expect(env(f.validateSettings)[ALLOWED_SENDER_ENV]).toBe(allowed);
      expect(env(f.testSend)).not.toHaveProperty(ALLOWED_SENDER_ENV);
    },
  );
});
