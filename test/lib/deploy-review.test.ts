// Findings of a deploy review of issue 17's keys (each failed before its fix): combinations that
// synthesize but that AWS refuses or silently gets wrong.
import { afterAll, describe, expect, it } from "vitest";
import { readHeraldContext } from "../../lib/herald-config.ts";
import { HeraldFunction } from "../../lib/private/herald-function.ts";
import { CONFIGURATION_SET_ENV, SES_IDENTITY_ENV } from "../../src/constants.ts";
import { logicalId, newApp, removeOutdirs, SYNTH_TIMEOUT_MS } from "../helpers/cdk.ts";
import { REGION, synthVariant } from "../helpers/stack-variants.ts";

afterAll(removeOutdirs);

describe("ses-smtp with an existing identity", () => {
  it(
    "names Herald's configuration set in every SMTP send (the identity's default set is not Herald's)",
    () => {
      const { stack, template } = synthVariant("existing SES resources", { existingConfigurationSet: "" });
      const functions = template.toJSON().Resources as Record<
        string,
        { Properties?: { Environment?: { Variables?: Record<string, unknown> } } }
      >;
      const senders = [stack.pipeline.sender, stack.tools.testSend, stack.securityAlerts.check];
      for (const fn of senders) {
        const variables = functions[logicalId(fn.function)]!.Properties!.Environment!.Variables!;
        expect({ entry: fn.entry, set: variables[CONFIGURATION_SET_ENV] }).toEqual({
          entry: fn.entry,
          set: { Ref: logicalId(stack.domain.configurationSet) },
        });
      }
      expect(stack.node.findAll().filter((c) => c instanceof HeraldFunction).length).toBeGreaterThan(3);
    },
    SYNTH_TIMEOUT_MS,
  );
});

describe("validate-settings with an existing parent identity", () => {
  it(
    "is told the identity sends go through, which its grant covers (a subdomain is not an identity)",
    () => {
      const { stack, template } = synthVariant("existing SES resources", { domain: "mail.example.com" });
      const functions = template.toJSON().Resources as Record<
        string,
        { Properties?: { Environment?: { Variables?: Record<string, unknown> } } }
      >;
      const variables =
        functions[logicalId(stack.tools.validateSettings.function)]!.Properties!.Environment!.Variables!;
      expect(variables[SES_IDENTITY_ENV]).toBe("example.com");
    },
    SYNTH_TIMEOUT_MS,
  );
});

describe("alarmTopicArn", () => {
  it("refuses a topic in another region than the stack's (CloudWatch alarms notify same-region topics only)", () => {
    const app = newApp({
      domain: "example.com",
      adminEmails: "ops@example.com",
      alarmTopicArn: "arn:aws:sns:us-east-1:111111111111:alarms",
    });
    expect(() => readHeraldContext(app.node, REGION)).toThrow(
      /alarmTopicArn "arn:aws:sns:us-east-1:111111111111:alarms" is in us-east-1.*eu-west-1/,
    );
    const same = newApp({
      domain: "example.com",
      adminEmails: "ops@example.com",
      alarmTopicArn: `arn:aws:sns:${REGION}:111111111111:alarms`,
    });
    expect(readHeraldContext(same.node, REGION).alarmTopicArn).toBe(
      `arn:aws:sns:${REGION}:111111111111:alarms`,
    );
  });
});

describe("smtpPort with ses-smtp", () => {
  it("refuses port 25, which Lambda blocks outbound (every send would time out), naming 587", () => {
    const app = newApp({ domain: "example.com", adminEmails: "ops@example.com", smtpPort: "25" });
    expect(() => readHeraldContext(app.node, REGION)).toThrow(/smtpPort "25" .*Lambda.*587/);
    const ok = newApp({ domain: "example.com", adminEmails: "ops@example.com", smtpPort: "2587" });
    expect(readHeraldContext(ok.node, REGION).smtp?.port).toBe(2587);
  });
});

describe("securityCheckSchedule", () => {
  const read = (securityCheckSchedule: string) => () =>
    readHeraldContext(
      newApp({ domain: "example.com", adminEmails: "ops@example.com", securityCheckSchedule }).node,
      REGION,
    );
  it.each(["cron(0 8 * * *)", "cron(0 8 * * * *)", "cron(0 8 1 * MON *)", "rate(0 days)"])(
    "refuses %s, which EventBridge Scheduler refuses (6 fields, one of day-of-month and day-of-week ?, a positive rate)",
    (expression) => {
      expect(read(expression)).toThrow(/securityCheckSchedule .* is not a schedule expression/);
    },
  );
  it.each(["cron(0 8 * * ? *)", "cron(0/15 8-17 ? * MON-FRI *)", "rate(1 day)", "rate(4 hours)"])(
    "accepts %s",
    (expression) => {
      expect(read(expression)().securityCheckSchedule).toBe(expression);
    },
  );
});

describe("smtpServerTimeout", () => {
  it(
    "sizes the security check, which sends over SMTP too, to hold a send as the send function does",
    () => {
      const { stack, template } = synthVariant("manual DNS", { smtpServerTimeout: "60" });
      const timeout = (fn: HeraldFunction) =>
        (template.toJSON().Resources[logicalId(fn.function)].Properties as { Timeout: number }).Timeout;
      expect(timeout(stack.pipeline.sender)).toBe(260);
      expect(timeout(stack.securityAlerts.check)).toBeGreaterThanOrEqual(260);
    },
    SYNTH_TIMEOUT_MS,
  );
});
