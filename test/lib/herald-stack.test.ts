// HeraldStack as bin/app.ts builds it from the context. One synthesis with real bundling (all
// seven handlers, shared by the tests below), the other variants unbundled.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readHeraldContext } from "../../lib/herald-config.ts";
import { HeraldStack } from "../../lib/herald-stack.ts";
import { ESM_REQUIRE_BANNER, PROJECT_ROOT } from "../../lib/private/bundling.ts";
import {
  flat,
  logicalId,
  nagFindings,
  newApp,
  removeOutdirs,
  statementsOf,
  SYNTH_TIMEOUT_MS,
  warningsAndErrors,
} from "../helpers/cdk.ts";

afterAll(removeOutdirs);

const ZONE = { hostedZoneId: "Z0123456789ABCDEFGHIJ", hostedZoneName: "example.com" };
const REQUIRED = { domain: "example.com", adminEmails: "ops@example.com" };

function synth(context: Record<string, unknown>, options: { bundle?: boolean; region?: string } = {}) {
  const app = newApp(context, { bundle: options.bundle });
  const stack = new HeraldStack(app, "Herald", {
    ...readHeraldContext(app.node, options.region),
    ...(options.region ? { env: { region: options.region } } : {}),
  });
  return { app, stack, template: Template.fromStack(stack) };
}

function outputs(template: Template): Record<string, string> {
  const found = template.toJSON().Outputs as Record<string, { Value: unknown }>;
  return Object.fromEntries(Object.entries(found).map(([k, v]) => [k, flat(v.Value)]));
}

describe("HeraldStack (hosted zone, bundled as `cdk synth` bundles it)", () => {
  let s: ReturnType<typeof synth>;
  beforeAll(() => {
    s = synth({ ...REQUIRED, ...ZONE }, { bundle: true, region: "eu-west-1" });
  }, SYNTH_TIMEOUT_MS);

  it("holds every part of the deployment", () => {
    const counts = Object.fromEntries(
      [
        "AWS::SES::EmailIdentity",
        "AWS::SES::ConfigurationSet",
        "AWS::SES::ConfigurationSetEventDestination",
        "AWS::Route53::RecordSet",
        "AWS::SSM::Parameter",
        "Custom::HeraldSmtpCredentials",
        "AWS::IAM::User",
        "AWS::Events::EventBus",
        "AWS::Events::Rule",
        "AWS::SQS::Queue",
        "AWS::DynamoDB::Table",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Scheduler::Schedule",
        "AWS::SNS::Topic",
        "AWS::CloudWatch::Dashboard",
        "AWS::KMS::Key",
        "AWS::Lambda::Function",
      ].map((type) => [type, Object.keys(s.template.findResources(type)).length]),
    );
    expect(counts).toEqual({
      "AWS::SES::EmailIdentity": 1,
      "AWS::SES::ConfigurationSet": 1,
      "AWS::SES::ConfigurationSetEventDestination": 1,
      "AWS::Route53::RecordSet": 6,
      "AWS::SSM::Parameter": 8,
      "Custom::HeraldSmtpCredentials": 1,
      "AWS::IAM::User": 1,
      "AWS::Events::EventBus": 1,
      "AWS::Events::Rule": 2,
      "AWS::SQS::Queue": 3,
      "AWS::DynamoDB::Table": 1,
      "AWS::Lambda::EventSourceMapping": 1,
      "AWS::Scheduler::Schedule": 2, // the security check, the SMTP credentials' grace cleanup
      "AWS::SNS::Topic": 1,
      "AWS::CloudWatch::Dashboard": 1,
      "AWS::KMS::Key": 3, // settings, queues, alarm topic
      "AWS::Lambda::Function": 8, // seven handlers and the custom resource framework
    });
  });

  it("writes the SES SMTP settings for the stack's region", () => {
    const values = Object.fromEntries(
      Object.values(s.template.findResources("AWS::SSM::Parameter")).map((r) => [
        r.Properties.Name,
        flat(r.Properties.Value),
      ]),
    );
    expect(values).toMatchObject({
      "/herald/EmailSettings/SMTPServer": "email-smtp.eu-west-1.amazonaws.com",
      "/herald/EmailSettings/SMTPPort": "465",
      "/herald/EmailSettings/ConnectionSecurity": "TLS",
      "/herald/EmailSettings/EnableSMTPAuth": "true",
      "/herald/EmailSettings/FeedbackEmail": "notifications@example.com",
    });
  });

  it("bundles each of the seven handlers as minified ESM with the createRequire banner and the AWS SDK inside", () => {
    const bundles = readdirSync(s.app.outdir)
      .map((name) => join(s.app.outdir, name, "index.mjs"))
      .filter((file) => existsSync(file));
    expect(bundles).toHaveLength(7);
    for (const file of bundles) {
      const code = readFileSync(file, "utf8");
      expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
      expect(code).not.toMatch(/from\s*["']@aws-sdk\//); // bundled, not left to the runtime's copy
      expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
      expect(code.length / code.split("\n").length).toBeGreaterThan(1000); // minified: long lines
      expect(existsSync(`${file}.map`)).toBe(true);
    }
  });

  it("runs every handler on Node 24, arm64, with its own log group kept a month", () => {
    const handlers = Object.values(s.template.findResources("AWS::Lambda::Function")).filter(
      (f) => f.Properties.Handler === "index.handler",
    );
    expect(handlers).toHaveLength(7);
    for (const fn of handlers) {
      expect(fn.Properties).toMatchObject({ Runtime: "nodejs24.x", Architectures: ["arm64"] });
      expect(fn.Properties.LoggingConfig.LogGroup).toBeDefined();
      expect(fn.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME).toMatch(/^herald-/);
      expect(fn.Properties.Environment.Variables.POWERTOOLS_LOG_LEVEL).toBe("INFO");
    }
    s.template.allResourcesProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
  });

  it("shares one table between the pipeline and the security check, and one bus with the feedback", () => {
    const env = (fn: { function: object }) =>
      s.template.toJSON().Resources[logicalId(fn.function as never)].Properties.Environment.Variables;
    expect(env(s.stack.securityAlerts.check).HERALD_TABLE_NAME).toEqual(
      env(s.stack.pipeline.sender).HERALD_TABLE_NAME,
    );
    expect(env(s.stack.domain.feedback).HERALD_EVENT_BUS_NAME).toEqual({
      Ref: logicalId(s.stack.pipeline.eventBus),
    });
  });

  it("alarms on every function, both dead-letter queues and the queue age", () => {
    const names = s.stack.monitoring.alarms.map((a) => a.node.id);
    expect(names).toEqual(
      expect.arrayContaining([
        "NotificationDeadLettersNotEmpty",
        "FeedbackDeadLettersNotEmpty",
        "OldestNotificationAge",
        "SesBounceRate",
        "SesComplaintRate",
        ...[
          "SendNotification",
          "SecurityAlertCheck",
          "Feedback",
          "TestSend",
          "ValidateSettings",
          "SmtpCredentials",
        ].flatMap((f) => [`${f}Errors`, `${f}Throttles`]),
      ]),
    );
  });

  it("outputs what an operator needs: invoke commands, the test event, parameters, the bus and put-events", () => {
    const o = outputs(s.template);
    const testSend = logicalId(s.stack.tools.testSend.function);
    expect(o.TestSendFunctionName).toBe(`\${${testSend}}`);
    expect(o.TestSendCommand).toBe(
      `aws lambda invoke --function-name \${${testSend}} --cli-binary-format raw-in-base64-out --payload '{ "to": "you@example.com" }' /dev/stdout`,
    );
    expect(o.TestSendConsoleEvent).toBe('{ "to": "you@example.com" }');
    expect(o.ValidateSettingsCommand).toContain(`--payload '{ "connect": true }'`);
    expect(o.ParameterPrefix).toBe("/herald");
    expect(o.SettingsParameters).toContain("/herald/EmailSettings/SMTPServer");
    expect(o.SmtpUsernameParameter).toBe("/herald/EmailSettings/SMTPUsername");
    expect(o.SmtpPasswordParameter).toBe("/herald/EmailSettings/SMTPPassword");
    expect(o.EventBusName).toBe(`\${${logicalId(s.stack.pipeline.eventBus)}}`);
    expect(o.PutEventsCommand).toMatch(/^aws events put-events --entries '\[\{"EventBusName":"\$\{Bus/);
    expect(o.SecurityCheck).toMatch(/^disabled: deploy with -c productVersion=/);
    expect(Object.keys(o).filter((k) => /Record\d?$/.test(k))).toEqual([]); // records are in the zone
  });

  it("holds no secret: no access key resource, no password value", () => {
    const json = JSON.stringify(s.template.toJSON());
    s.template.resourceCountIs("AWS::IAM::AccessKey", 0);
    expect(json).not.toMatch(/SecretAccessKey|SMTPPASSWORD/);
    expect(
      Object.keys(s.template.findResources("AWS::SSM::Parameter", { Properties: { Type: "SecureString" } })),
    ).toEqual([]);
  });

  it("passes cdk-nag's AWS Solutions checks and raises no CDK warning", () => {
    expect(nagFindings(s.stack)).toEqual([]);
    expect(warningsAndErrors(s.stack)).toEqual([]);
  });

  it("rotates every key it creates, and schedules each for deletion with the stack", () => {
    for (const key of Object.values(s.template.findResources("AWS::KMS::Key"))) {
      expect(key).toMatchObject({ DeletionPolicy: "Delete", Properties: { EnableKeyRotation: true } });
    }
  });

  it("uses no AWS managed policy anywhere", () => {
    for (const role of Object.values(s.template.findResources("AWS::IAM::Role"))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe("HeraldStack variants (unbundled)", () => {
  it("manual DNS mode: every record is an output, none is created", () => {
    const { template } = synth(REQUIRED);
    template.resourceCountIs("AWS::Route53::RecordSet", 0);
    expect(Object.keys(outputs(template)).filter((k) => /Record\d?$/.test(k))).toEqual([
      "DomainDkimRecord1",
      "DomainDkimRecord2",
      "DomainDkimRecord3",
      "DomainMailFromMxRecord",
      "DomainMailFromSpfRecord",
      "DomainDmarcRecord",
    ]);
  });

  it(
    "hands the credentials keys to SmtpCredentials: grace period, scheduled rotation, previous prefix",
    () => {
      const { stack } = synth({
        ...REQUIRED,
        credentialsGracePeriod: "0",
        credentialsRotationInterval: "30 days",
        parameterPrefix: "/acme",
        previousParameterPrefix: "/herald",
      });
      const credentials = stack.credentials!;
      expect(credentials.gracePeriod.toSeconds()).toBe(0);
      expect(credentials.cleanupSchedule).toBeUndefined();
      expect(credentials.rotationSchedule).toBeDefined();
      const template = Template.fromStack(stack);
      const ssm = statementsOf(template, credentials.handler.role).find((st) =>
        [st.Action].flat().includes("ssm:DeleteParameters"),
      )!;
      expect(flat(ssm.Resource)).toContain("parameter/herald/EmailSettings/SMTPUsername");
    },
    SYNTH_TIMEOUT_MS,
  );

  it("existing SES identity, configuration set and DMARC record: used and kept, none created", () => {
    const { stack, template } = synth({
      ...REQUIRED,
      ...ZONE,
      existingIdentity: "example.com",
      existingConfigurationSet: "mail",
      existingDmarc: "true",
    });
    template.resourceCountIs("AWS::SES::EmailIdentity", 0);
    template.resourceCountIs("AWS::SES::ConfigurationSet", 0);
    template.resourceCountIs("AWS::Route53::RecordSet", 0);
    template.resourceCountIs("AWS::SES::ConfigurationSetEventDestination", 1);
    expect(stack.domain.configurationSetName).toBe("mail");
    expect(flat(stack.domain.emailIdentityArn)).toContain(":identity/example.com");
    expect(outputs(template).ConfigurationSetName).toBe("mail");
    expect(nagFindings(stack)).toEqual([]);
  });

  it("smtpServerTimeout: written to SSM, and the send function's timeout and the queue's visibility follow it", () => {
    const { stack, template } = synth({ ...REQUIRED, smtpServerTimeout: "100" });
    const resources = template.toJSON().Resources;
    const sender = resources[logicalId(stack.pipeline.sender.function)].Properties;
    expect(sender.Timeout).toBe(420); // 4 x 100 s + 2 s to finish + 18 s to start sends
    expect(resources[logicalId(stack.pipeline.queue)].Properties.VisibilityTimeout).toBe(6 * 420);
    const validate = resources[logicalId(stack.tools.validateSettings.function)].Properties;
    expect(validate.Environment.Variables.HERALD_SEND_TIMEOUT_SECONDS).toBe("420");
    expect(validate.Timeout).toBe(105); // one stage and the report fit
    const values = Object.values(template.findResources("AWS::SSM::Parameter")).map((r) => [
      flat(r.Properties.Name),
      r.Properties.Value,
    ]);
    expect(values).toContainEqual(["/herald/EmailSettings/SMTPServerTimeout", "100"]);
  });

  it("alarmTopicArn: the alarms go to the existing topic, no topic of Herald's", () => {
    const arn = "arn:aws:sns:eu-west-1:111111111111:ops-alarms";
    const { template } = synth({ ...REQUIRED, alarmTopicArn: arn });
    template.resourceCountIs("AWS::SNS::Topic", 0);
    const alarms = Object.values(template.findResources("AWS::CloudWatch::Alarm"));
    expect(alarms.length).toBeGreaterThan(5);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([arn]);
    expect(outputs(template).AlarmTopicArn).toBe(arn);
  });

  it("transport ses-api: no SMTP credentials or SMTP settings, SES grants for the sender and the check", () => {
    const { stack, template } = synth({ ...REQUIRED, transport: "ses-api", productVersion: "9.11.2" });
    expect(stack.credentials).toBeUndefined();
    template.resourceCountIs("Custom::HeraldSmtpCredentials", 0);
    template.resourceCountIs("AWS::IAM::User", 0);
    const names = Object.values(template.findResources("AWS::SSM::Parameter")).map((r) => r.Properties.Name);
    expect(names.some((n: string) => n.includes("SMTP"))).toBe(false);
    for (const role of [stack.pipeline.sender.role, stack.securityAlerts.check.role]) {
      const actions = statementsOf(template, role).flatMap((st) => [st.Action].flat());
      expect(actions).toEqual(expect.arrayContaining(["ses:SendEmail", "ses:SendRawEmail"]));
    }
    template.hasResourceProperties("AWS::Scheduler::Schedule", { State: "ENABLED" });
    expect(outputs(template).SecurityCheck).toBe("rate(1 day) for version 9.11.2");
    expect(nagFindings(stack)).toEqual([]);
  });

  it("transport smtp: the operator's server in the settings, the password left to the operator", () => {
    const { stack, template } = synth({
      ...REQUIRED,
      transport: "smtp",
      smtpServer: "smtp.example.net",
      parameterPrefix: "/acme/mail",
      credentialsSerial: "7",
      deletionProtection: "false",
      maxSendRate: "40",
    });
    expect(stack.credentials).toBeUndefined();
    const values = Object.fromEntries(
      Object.values(template.findResources("AWS::SSM::Parameter")).map((r) => [
        r.Properties.Name,
        r.Properties.Value,
      ]),
    );
    expect(values).toMatchObject({
      "/acme/mail/EmailSettings/SMTPServer": "smtp.example.net",
      "/acme/mail/EmailSettings/SMTPPort": "587",
      "/acme/mail/EmailSettings/ConnectionSecurity": "STARTTLS",
    });
    template.hasResource("AWS::DynamoDB::Table", { DeletionPolicy: "Delete" });
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      ScalingConfig: { MaximumConcurrency: 4 },
    });
    expect(nagFindings(stack)).toEqual([]);
  });

  it("a new credentialsSerial changes only the credentials resource (rotation)", () => {
    const a = synth(REQUIRED).template.toJSON();
    const b = synth({ ...REQUIRED, credentialsSerial: "2" }).template.toJSON();
    const changed = Object.keys(a.Resources).filter(
      (id) => JSON.stringify(a.Resources[id]) !== JSON.stringify(b.Resources[id]),
    );
    expect(changed).toHaveLength(1);
    expect(a.Resources[changed[0]!].Type).toBe("Custom::HeraldSmtpCredentials");
  });
});

describe("bin/app.ts", () => {
  /** Runs the app as the CDK CLI does (context in CDK_CONTEXT_JSON), without bundling. */
  function app(context: Record<string, unknown>) {
    return new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ["bin/app.ts"],
        {
          cwd: PROJECT_ROOT,
          env: {
            PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
            CDK_CONTEXT_JSON: JSON.stringify({ ...context, "aws:cdk:bundling-stacks": [] }),
            CDK_OUTDIR: join(newApp().outdir, "app"),
            CDK_DEFAULT_REGION: "eu-west-1",
          },
          timeout: 120_000,
        },
        (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
      );
    });
  }

  it(
    "synthesizes the done-when context with the cdk-nag plugin and no finding",
    async () => {
      const run = await app({ ...REQUIRED, ...ZONE });
      expect(run.stderr).not.toMatch(/AwsSolutions|Error/);
      expect(run.code).toBe(0);
      // The region the CDK CLI chose (us-east-1 when nothing is configured) is said, not silent.
      expect(run.stderr).toContain(
        "Herald: stack region eu-west-1 (the CDK CLI's: AWS_REGION, else the profile's region, else us-east-1)",
      );
    },
    SYNTH_TIMEOUT_MS,
  );

  it("stops before creating anything on bad context, naming every key", async () => {
    const run = await app({
      domain: "example.com",
      adminEmails: "ops@",
      transport: "smtp",
      smtpServer: "h",
      smtpPort: "0",
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('adminEmails "ops@" is not an email address');
    expect(run.stderr).toContain('smtpPort "0" is out of range');
  });

  it("refuses transport ses-smtp in a region without SES SMTP", async () => {
    const run = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ["bin/app.ts"],
        {
          cwd: PROJECT_ROOT,
          env: {
            PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
            CDK_CONTEXT_JSON: JSON.stringify(REQUIRED),
            CDK_OUTDIR: join(newApp().outdir, "app"),
            CDK_DEFAULT_REGION: "cn-north-1",
          },
        },
        (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
      );
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('region "cn-north-1" has no SES SMTP endpoint');
  });
});
