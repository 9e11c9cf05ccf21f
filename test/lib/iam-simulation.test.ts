// IAM policy simulation on the synthesized templates (@cloud-copilot/iam-simulate evaluates
// identity and resource policies with their conditions, as IAM would): every AWS call each
// function's code makes is allowed on the exact resource with the context it carries; the
// services Herald relies on may do their part; and what nobody was granted is denied.
// The calls come from the code (test/helpers/sdk-calls.ts): an SDK call added in src/ without
// a row below, or without its grant, fails here.
import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import { beforeAll, afterAll, describe, expect, it } from "vitest";
import type { HeraldStack } from "../../lib/herald-stack.ts";
import { HeraldFunction } from "../../lib/private/herald-function.ts";
import {
  EVENT_SOURCE,
  FEEDBACK_DETAIL_TYPE,
  STATUS_KEY_PREFIX,
  type Transport,
} from "../../src/constants.ts";
import { logicalId, removeOutdirs, SYNTH_TIMEOUT_MS } from "../helpers/cdk.ts";
import { ACCOUNT, ResolvedTemplate } from "../helpers/resolved-template.ts";
import { awsCallsOf } from "../helpers/sdk-calls.ts";
import { REGION, synthVariant, type VariantName } from "../helpers/stack-variants.ts";

afterAll(removeOutdirs);

type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

interface Request {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
  /** Identity policies of the principal (none for a service principal). */
  readonly identityPolicies?: Simulation["identityPolicies"];
}

async function decide(t: ResolvedTemplate, request: Request): Promise<Decision> {
  const result = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: ACCOUNT },
        contextVariables: {
          "aws:SecureTransport": "true",
          "aws:PrincipalAccount": ACCOUNT,
          ...request.context,
        },
      },
      identityPolicies: request.identityPolicies ?? [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: t.resourcePolicy(request.resource),
    },
    { simulationMode: "Strict" },
  );
  if (result.resultType === "error") throw new Error(`invalid simulation: ${JSON.stringify(result.errors)}`);
  return result.overallResult as Decision;
}

/** What a deployment is, for the rows: its resolved template, stack and transport. */
interface Deployment {
  readonly t: ResolvedTemplate;
  readonly stack: HeraldStack;
  readonly transport: Transport;
}

/** A call a function's code can reach but does not make in this deployment, and why. */
interface NotMade {
  readonly notMade: string;
}
type Row = (d: Deployment) => Omit<Request, "principal" | "identityPolicies">[] | NotMade;

const ssmKey = (d: Deployment) => d.t.value(d.stack.settings.encryptionKey.keyArn);
const parameterArn = (d: Deployment, name: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`;
const prefix = (d: Deployment) => d.t.value(d.stack.settings.parameterPrefix);
const table = (d: Deployment) => d.t.value(d.stack.pipeline.table.tableArn);
const identityArn = (d: Deployment) => d.t.value(d.stack.domain.emailIdentityArn);
const configurationSetArn = (d: Deployment) => d.t.value(d.stack.domain.configurationSetArn);
const SENDER = "notifications@example.com";

/** GetParametersByPath on the prefix, and the kms:Decrypt SSM makes for a SecureString under it. */
const readSettings: Row = (d) => [
  { action: "ssm:GetParametersByPath", resource: parameterArn(d, prefix(d)) },
  {
    action: "kms:Decrypt",
    resource: ssmKey(d),
    context: {
      "kms:ViaService": `ssm.${REGION}.amazonaws.com`,
      "kms:EncryptionContext:PARAMETER_ARN": parameterArn(d, `${prefix(d)}/EmailSettings/SMTPPassword`),
    },
  },
];
const item =
  (action: string): Row =>
  (d) => [{ action: `dynamodb:${action}`, resource: table(d) }];
/** One status record's item (`status#<id>`): the only items the status functions may touch. */
const statusItem =
  (action: string): Row =>
  (d) => [
    {
      action: `dynamodb:${action}`,
      resource: table(d),
      context: { "dynamodb:LeadingKeys": [`${STATUS_KEY_PREFIX}n-1`] },
    },
  ];
/** The SES v2 SendEmail of transport ses-api: identity and configuration set, from the sender. */
const sendThroughSes: Row = (d) =>
  d.transport === "ses-api"
    ? [identityArn(d), configurationSetArn(d)].map((resource) => ({
        action: "ses:SendEmail",
        resource,
        context: { "ses:FromAddress": SENDER },
      }))
    : { notMade: `transport ${d.transport} sends over SMTP` };
const sendsNoMail: Row = () => ({
  notMade: "bundled through src/runtime.ts's transports; this handler sends no mail",
});
const readsNoSettings: Row = () => ({
  notMade: "bundled through src/runtime.ts; this handler reads no settings",
});

/** For each handler, each call its code can reach: the requests it makes, or why it makes none. */
const CALLS: Record<string, Record<string, Row>> = {
  "lambdas/send-notification.ts": {
    "ssm:GetParametersByPath": readSettings,
    "dynamodb:GetItem": item("GetItem"),
    "dynamodb:PutItem": item("PutItem"),
    "dynamodb:UpdateItem": item("UpdateItem"),
    "dynamodb:DeleteItem": item("DeleteItem"),
    "ses:SendEmail": sendThroughSes,
    "sqs:SendMessage": (d) => {
      const dlq = d.t.value(d.stack.pipeline.deadLetterQueue.queueArn);
      const key = d.t.value(d.stack.pipeline.encryptionKey.keyArn);
      const context = { "kms:EncryptionContext:aws:sqs:arn": dlq };
      return [
        { action: "sqs:SendMessage", resource: dlq },
        { action: "kms:GenerateDataKey", resource: key, context },
        { action: "kms:Decrypt", resource: key, context },
      ];
    },
  },
  "lambdas/security-alert-check.ts": {
    "ssm:GetParametersByPath": readSettings,
    "dynamodb:GetItem": item("GetItem"),
    "dynamodb:PutItem": item("PutItem"),
    "dynamodb:UpdateItem": item("UpdateItem"),
    "dynamodb:DeleteItem": item("DeleteItem"),
    "ses:SendEmail": sendThroughSes,
  },
  "lambdas/test-send.ts": {
    "ssm:GetParametersByPath": readSettings,
    "ses:SendEmail": sendThroughSes,
  },
  "lambdas/validate-settings.ts": {
    "ssm:GetParametersByPath": readSettings,
    "ses:GetAccount": () => [{ action: "ses:GetAccount", resource: "*" }],
    "ses:GetEmailIdentity": (d) => [{ action: "ses:GetEmailIdentity", resource: identityArn(d) }],
    "ses:SendEmail": sendsNoMail,
  },
  "lambdas/feedback.ts": {
    "events:PutEvents": (d) => [
      {
        action: "events:PutEvents",
        resource: d.t.value(d.stack.pipeline.eventBus.eventBusArn),
        context: { "events:source": EVENT_SOURCE, "events:detail-type": FEEDBACK_DETAIL_TYPE },
      },
    ],
    "dynamodb:GetItem": statusItem("GetItem"),
    "dynamodb:UpdateItem": statusItem("UpdateItem"),
    "ssm:GetParametersByPath": readsNoSettings,
    "ses:SendEmail": sendsNoMail,
  },
  "lambdas/notification-status.ts": {
    "dynamodb:GetItem": statusItem("GetItem"),
    "dynamodb:UpdateItem": () => ({ notMade: "the status store's write path; this function only reads" }),
    "ssm:GetParametersByPath": readsNoSettings,
    "ses:SendEmail": sendsNoMail,
  },
  "lambdas/smtp-credentials.ts": {
    "iam:CreateAccessKey": (d) => [{ action: "iam:CreateAccessKey", resource: smtpUser(d) }],
    "iam:DeleteAccessKey": (d) => [{ action: "iam:DeleteAccessKey", resource: smtpUser(d) }],
    "iam:ListAccessKeys": (d) => [{ action: "iam:ListAccessKeys", resource: smtpUser(d) }],
    "ssm:PutParameter": (d) =>
      credentialParameters(d).flatMap((resource) => [
        { action: "ssm:PutParameter", resource },
        ...["kms:Encrypt", "kms:GenerateDataKey"].map((action) => ({
          action,
          resource: ssmKey(d),
          context: {
            "kms:ViaService": `ssm.${REGION}.amazonaws.com`,
            "kms:EncryptionContext:PARAMETER_ARN": resource,
          },
        })),
      ]),
    "ssm:GetParameters": (d) =>
      credentialParameters(d).map((resource) => ({ action: "ssm:GetParameters", resource })),
    "ecs:UpdateService": () => ({
      notMade: "only with an ECS service to restart; none in these deployments",
    }),
    "ssm:DeleteParameters": (d) =>
      credentialParameters(d).map((resource) => ({ action: "ssm:DeleteParameters", resource })),
    "ssm:GetParametersByPath": readsNoSettings,
    "ses:SendEmail": sendsNoMail,
  },
};
const smtpUser = (d: Deployment) => d.t.principalArn(d.stack.credentials!.user);
const credentialParameters = (d: Deployment) =>
  [d.stack.credentials!.usernameParameterName, d.stack.credentials!.passwordParameterName].map((name) =>
    parameterArn(d, d.t.value(name)),
  );

function heraldFunctions(stack: HeraldStack): HeraldFunction[] {
  return stack.node.findAll().filter((c): c is HeraldFunction => c instanceof HeraldFunction);
}

async function deploy(name: VariantName): Promise<Deployment> {
  const { stack, template } = synthVariant(name);
  return {
    stack,
    t: new ResolvedTemplate(stack, template, REGION),
    transport: name === "ses-api" ? "ses-api" : "ses-smtp",
  };
}

/** The requests of one function's role, with its identity policies. */
function asRole(d: Deployment, fn: HeraldFunction, rows: ReturnType<Row>): Request[] {
  if ("notMade" in rows) return [];
  return rows.map((r) => ({
    ...r,
    principal: d.t.principalArn(fn.role),
    identityPolicies: d.t.identityPolicies(fn.role),
  }));
}

async function decisions(d: Deployment, requests: Request[]): Promise<string[]> {
  return Promise.all(
    requests.map(
      async (r) => `${r.action} ${r.resource} ${JSON.stringify(r.context ?? {})}: ${await decide(d.t, r)}`,
    ),
  );
}
const allowedAll = (lines: string[]) => lines.map((l) => l.replace(/: \w+$/, ": Allowed"));

describe.each(["hosted zone", "ses-api", "existing SES resources"] as const)(
  "IAM simulation (%s)",
  (variant) => {
    let d: Deployment;
    beforeAll(async () => {
      d = await deploy(variant);
    }, SYNTH_TIMEOUT_MS);

    it(
      "has a row for every AWS call of every function's code, and none for a call the code no longer makes",
      async () => {
        const functions = heraldFunctions(d.stack);
        expect(functions.length).toBeGreaterThanOrEqual(5);
        for (const fn of functions) {
          const inCode = await awsCallsOf(fn.entry);
          expect({ entry: fn.entry, calls: Object.keys(CALLS[fn.entry] ?? {}).sort() }).toEqual({
            entry: fn.entry,
            calls: inCode,
          });
        }
      },
      SYNTH_TIMEOUT_MS,
    );

    it("allows every call each function makes, on its exact resource with its conditions", async () => {
      for (const fn of heraldFunctions(d.stack)) {
        const requests = Object.values(CALLS[fn.entry] ?? {}).flatMap((row) => asRole(d, fn, row(d)));
        const lines = await decisions(d, requests);
        expect({ entry: fn.entry, lines }).toEqual({ entry: fn.entry, lines: allowedAll(lines) });
      }
    });

    it("lets each function write its own logs, and the sender consume its queue", async () => {
      for (const fn of heraldFunctions(d.stack)) {
        const logGroup = d.t.value(fn.logGroup.logGroupArn).replace(/:\*$/, "");
        const lines = await decisions(
          d,
          asRole(d, fn, [
            { action: "logs:CreateLogStream", resource: `${logGroup}:log-stream:2026/12/02/x` },
            { action: "logs:PutLogEvents", resource: `${logGroup}:log-stream:2026/12/02/x` },
          ]),
        );
        expect(lines).toEqual(allowedAll(lines));
      }
      const queue = d.t.value(d.stack.pipeline.queue.queueArn);
      const key = d.t.value(d.stack.pipeline.encryptionKey.keyArn);
      const lines = await decisions(
        d,
        asRole(d, d.stack.pipeline.sender, [
          ...["ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility", "GetQueueAttributes"].map(
            (a) => ({
              action: `sqs:${a}`,
              resource: queue,
            }),
          ),
          { action: "kms:Decrypt", resource: key, context: { "kms:EncryptionContext:aws:sqs:arn": queue } },
        ]),
      );
      expect(lines).toEqual(allowedAll(lines));
    });

    it("lets the status function read status items only: no other item, no write, no scan", async () => {
      const reader = heraldFunctions(d.stack).find((fn) => fn.entry === "lambdas/notification-status.ts")!;
      const lines = await decisions(
        d,
        asRole(d, reader, [
          {
            action: "dynamodb:GetItem",
            resource: table(d),
            context: { "dynamodb:LeadingKeys": ["notification#n-1"] },
          },
          ...["UpdateItem", "PutItem", "DeleteItem"].map((a) => ({
            action: `dynamodb:${a}`,
            resource: table(d),
            context: { "dynamodb:LeadingKeys": [`${STATUS_KEY_PREFIX}n-1`] },
          })),
          { action: "dynamodb:Scan", resource: table(d) },
        ]),
      );
      expect(lines.filter((l) => !l.endsWith("Denied"))).toEqual([]);
    });

    it("denies a function another prefix's settings and another domain's identity", async () => {
      const sender = d.stack.pipeline.sender;
      const lines = await decisions(
        d,
        asRole(d, sender, [
          { action: "ssm:GetParametersByPath", resource: parameterArn(d, "/other") },
          { action: "ssm:GetParameter", resource: parameterArn(d, "/other/EmailSettings/SMTPPassword") },
          {
            action: "ses:SendEmail",
            resource: `arn:aws:ses:${REGION}:${ACCOUNT}:identity/other.example`,
            context: { "ses:FromAddress": "someone@other.example" },
          },
        ]),
      );
      expect(lines.filter((l) => !l.endsWith("Denied"))).toEqual([]);
    });

    it.skipIf(variant === "ses-api")(
      "lets the SMTP user send as the sender, and as no other address",
      async () => {
        const user = d.stack.credentials!.user;
        const request = (from: string): Request => ({
          principal: d.t.principalArn(user),
          identityPolicies: d.t.identityPolicies(user),
          action: "ses:SendRawEmail",
          resource: identityArn(d),
          context: { "ses:FromAddress": from },
        });
        expect(await decide(d.t, request(SENDER))).toBe("Allowed");
        expect(await decide(d.t, request("NOTIFICATIONS@example.com"))).toBe("Allowed"); // SMTP addresses are case-blind
        expect(await decide(d.t, request("ceo@example.com"))).toBe("ImplicitlyDenied");
        // Herald's SMTP sends name the configuration set (X-SES-CONFIGURATION-SET): SES authorizes it too.
        const onSet = { ...request(SENDER), resource: configurationSetArn(d) };
        expect(await decide(d.t, onSet)).toBe("Allowed");
        expect(await decide(d.t, { ...onSet, context: { "ses:FromAddress": "ceo@example.com" } })).toBe(
          "ImplicitlyDenied",
        );
        expect(
          await decide(d.t, {
            ...request(SENDER),
            resource: `arn:aws:ses:${REGION}:${ACCOUNT}:identity/other.example`,
          }),
        ).toBe("Allowed"); // the SES sandbox's recipient identity, still only as the sender
      },
    );

    it("lets EventBridge deliver to the queue and the feedback function, and the scheduler run the check", async () => {
      const rule = d.t.value(d.stack.pipeline.rule.ruleArn);
      const queue = d.t.value(d.stack.pipeline.queue.queueArn);
      const key = d.t.value(d.stack.pipeline.encryptionKey.keyArn);
      const events = (action: string, resource: string, context: Record<string, string>): Request => ({
        principal: "events.amazonaws.com",
        action,
        resource,
        context: { "aws:SourceAccount": ACCOUNT, ...context },
      });
      expect(await decide(d.t, events("sqs:SendMessage", queue, { "aws:SourceArn": rule }))).toBe("Allowed");
      for (const action of ["kms:GenerateDataKey", "kms:Decrypt"])
        expect(await decide(d.t, events(action, key, { "aws:SourceArn": rule }))).toBe("Allowed");
      const feedback = d.t.value(d.stack.domain.feedback.function.functionArn);
      const feedbackRule = d.t.value(d.stack.domain.feedbackRule.ruleArn);
      expect(
        await decide(d.t, events("lambda:InvokeFunction", feedback, { "aws:SourceArn": feedbackRule })),
      ).toBe("Allowed");

      const schedulerRole = d.stack.securityAlerts.schedulerRole;
      const schedule = d.t.value(d.stack.securityAlerts.schedule.scheduleArn);
      expect(
        await decide(d.t, {
          principal: "scheduler.amazonaws.com",
          action: "sts:AssumeRole",
          resource: d.t.principalArn(schedulerRole),
          context: { "aws:SourceAccount": ACCOUNT, "aws:SourceArn": schedule },
        }),
      ).toBe("Allowed");
      expect(
        await decide(d.t, {
          principal: d.t.principalArn(schedulerRole),
          identityPolicies: d.t.identityPolicies(schedulerRole),
          action: "lambda:InvokeFunction",
          resource: d.t.value(d.stack.securityAlerts.check.function.functionArn),
        }),
      ).toBe("Allowed");
    });

    it("lets only Herald's rule, no other rule of the account, send to the notification queues", async () => {
      const rule = d.t.value(d.stack.pipeline.rule.ruleArn);
      const otherRule = `arn:aws:events:${REGION}:${ACCOUNT}:rule/default/someone-elses`;
      for (const queue of [d.stack.pipeline.queue, d.stack.pipeline.deadLetterQueue]) {
        const send = (source: string): Request => ({
          principal: "events.amazonaws.com",
          action: "sqs:SendMessage",
          resource: d.t.value(queue.queueArn),
          context: { "aws:SourceAccount": ACCOUNT, "aws:SourceArn": source },
        });
        expect(await decide(d.t, send(rule))).toBe("Allowed");
        expect(await decide(d.t, send(otherRule))).toBe("ExplicitlyDenied");
      }
    });

    it("lets CloudWatch, for this account's alarms, publish to the alarm topic and use its key", async () => {
      const topic = d.t.value(d.stack.monitoring.topic.topicArn);
      const key = d.t.value(d.stack.monitoring.topic.masterKey!.keyArn);
      const alarm = d.t.value(d.stack.monitoring.alarms[0]!.alarmArn);
      const cloudwatch = (action: string, resource: string, account = ACCOUNT, source = alarm): Request => ({
        principal: "cloudwatch.amazonaws.com",
        action,
        resource,
        context: { "aws:SourceAccount": account, "aws:SourceArn": source },
      });
      for (const [action, resource] of [
        ["sns:Publish", topic],
        ["kms:GenerateDataKey", key],
        ["kms:Decrypt", key],
      ] as const) {
        expect(await decide(d.t, cloudwatch(action, resource))).toBe("Allowed");
        const elsewhere = alarm.replace(ACCOUNT, "222222222222");
        expect(await decide(d.t, cloudwatch(action, resource, "222222222222", elsewhere))).not.toBe(
          "Allowed",
        );
      }
      const otherAlarm = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:someone-elses`;
      expect(await decide(d.t, cloudwatch("sns:Publish", topic, ACCOUNT, otherAlarm))).not.toBe("Allowed");
    });

    it("lets the scheduler assume its role only for this account's schedules", async () => {
      const role = d.t.principalArn(d.stack.securityAlerts.schedulerRole);
      const schedule = d.t.value(d.stack.securityAlerts.schedule.scheduleArn);
      const assume = (account: string, source: string): Request => ({
        principal: "scheduler.amazonaws.com",
        action: "sts:AssumeRole",
        resource: role,
        context: { "aws:SourceAccount": account, "aws:SourceArn": source },
      });
      expect(await decide(d.t, assume(ACCOUNT, schedule))).toBe("Allowed");
      expect(await decide(d.t, assume("222222222222", schedule.replace(ACCOUNT, "222222222222")))).not.toBe(
        "Allowed",
      );
    });

    it("grants the table's users the item calls only: no Scan, Query or batch calls", async () => {
      for (const fn of [d.stack.pipeline.sender, d.stack.securityAlerts.check]) {
        const lines = await decisions(
          d,
          asRole(
            d,
            fn,
            ["Scan", "Query", "BatchWriteItem", "BatchGetItem", "DeleteTable"].map((a) => ({
              action: `dynamodb:${a}`,
              resource: table(d),
            })),
          ),
        );
        expect(lines.filter((l) => !l.endsWith("Denied"))).toEqual([]);
      }
    });
  },
);

describe("IAM simulation: who may put Notification events (restrictPutEvents, notificationSources)", () => {
  let d: Deployment;
  beforeAll(() => {
    const { stack, template } = synthVariant("manual DNS", {
      restrictPutEvents: "true",
      notificationSources: "my.app",
    });
    d = { stack, t: new ResolvedTemplate(stack, template, REGION), transport: "ses-smtp" };
  }, SYNTH_TIMEOUT_MS);

  const putEvents = (principal: string, policies: Simulation["identityPolicies"]): Request => ({
    principal,
    identityPolicies: policies,
    action: "events:PutEvents",
    resource: d.t.value(d.stack.pipeline.eventBus.eventBusArn),
    context: {
      "aws:PrincipalArn": principal,
      "events:source": "my.app",
      "events:detail-type": "Notification",
    },
  });

  it("denies a role of the account whose own policy allows events:PutEvents on *", async () => {
    const ci = `arn:aws:iam::${ACCOUNT}:role/ci`;
    const anything = [
      {
        name: "ci",
        policy: {
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "events:PutEvents", Resource: "*" }],
        },
      },
    ];
    expect(await decide(d.t, putEvents(ci, anything))).toBe("ExplicitlyDenied");
  });

  it("allows the feedback function, granted through grantPutEvents", async () => {
    const role = d.stack.domain.feedback.role;
    const arn = d.t.principalArn(role);
    expect(
      await decide(d.t, {
        ...putEvents(arn, d.t.identityPolicies(role)),
        context: { "aws:PrincipalArn": arn },
      }),
    ).toBe("Allowed");
  });

  it("matches only the allowed sources", () => {
    const rule = d.t.resources[logicalId(d.stack.pipeline.rule)]!.Properties!.EventPattern as Record<
      string,
      unknown
    >;
    expect(rule.source).toEqual(["my.app"]);
  });
});
