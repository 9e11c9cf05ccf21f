// The CDK app as `cdk synth` builds it (cdk.json's context), bundled with the local esbuild.
// Each synthesis bundles both handlers, so the file synthesizes two stacks, once each.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, type CfnResource } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import cdkNag from "cdk-nag";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  normalizeParameterPrefix,
  parseTransport,
  readHeraldContext,
  TRANSPORTS,
} from "../../lib/herald-config.ts";
import { HeraldStack } from "../../lib/herald-stack.ts";
import { PROJECT_ROOT, type SettingsFunction } from "../../lib/settings-function.ts";
import { DEFAULT_PARAMETER_PREFIX, PARAMETER_PREFIX_ENV, TRANSPORT_ENV } from "../../src/constants.ts";

const SYNTH_TIMEOUT_MS = 120_000;

const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, "cdk.json"), "utf8")) as {
  app: string;
  context: Record<string, unknown>;
};

interface Synthesized {
  app: App;
  stack: HeraldStack;
  template: Template;
}

const outdirs: string[] = [];

/** bin/app.ts's stack, with cdk.json's context (feature flags included) plus `context`. */
function synth(context: Record<string, unknown> = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), "herald-cdk-"));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { ...cdkJson.context, ...context } });
  const stack = new HeraldStack(app, "Herald", readHeraldContext(app.node));
  return { app, stack, template: Template.fromStack(stack) };
}

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** A Fn::Join of literals and pseudo parameters as one readable string: `arn:${AWS::Partition}:...`. */
function flat(value: unknown): string {
  if (typeof value === "string") return value;
  const v = value as { "Fn::Join"?: [string, unknown[]]; Ref?: string };
  if (v.Ref) return `\${${v.Ref}}`;
  if (v["Fn::Join"]) return v["Fn::Join"][1].map(flat).join(v["Fn::Join"][0]);
  return JSON.stringify(value);
}

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

function logicalId(s: Synthesized, construct: { node: { defaultChild?: unknown } }): string {
  return s.stack.getLogicalId(construct.node.defaultChild as CfnResource);
}

function roleOf(s: Synthesized, fn: SettingsFunction): { statements: Statement[]; managed: unknown } {
  const role = s.template.toJSON().Resources[logicalId(s, fn.role)];
  const policies = role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[];
  return {
    statements: policies.flatMap((p) => p.PolicyDocument.Statement),
    managed: role.Properties.ManagedPolicyArns,
  };
}

function functionOf(s: Synthesized, fn: SettingsFunction) {
  return s.template.toJSON().Resources[logicalId(s, fn.function)].Properties;
}

function actions(statement: Statement): string[] {
  return [statement.Action].flat();
}

function resources(statement: Statement): string[] {
  return [statement.Resource].flat().map(flat);
}

const ARN = "arn:${AWS::Partition}";
const REGION_ACCOUNT = "${AWS::Region}:${AWS::AccountId}";

describe("cdk.json", () => {
  it("runs bin/app.ts on Node directly, with the design's defaults as context", () => {
    expect(cdkJson.app).toBe("node bin/app.ts");
    expect(cdkJson.context).toMatchObject({ parameterPrefix: "/herald", transport: "ses-smtp" });
  });
});

describe("deployment configuration", () => {
  it.each([
    ["/herald", "/herald"],
    ["herald", "/herald"],
    ["/acme/mail/", "/acme/mail"],
    [" /a.b_c-d ", "/a.b_c-d"],
  ])("normalizes parameterPrefix %j to %j", (input, expected) => {
    expect(normalizeParameterPrefix(input)).toBe(expected);
  });

  it.each(["", "/", "/a b", "/a//b", "/aws/mail", "/SSM", "/ssmtp", "/herald/$x"])(
    "refuses parameterPrefix %j",
    (input) => {
      expect(() => normalizeParameterPrefix(input)).toThrow(/parameterPrefix/);
    },
  );

  it("accepts the three transports and nothing else", () => {
    for (const t of TRANSPORTS) expect(parseTransport(t)).toBe(t);
    expect(() => parseTransport("sendmail")).toThrow(/ses-smtp, smtp, ses-api/);
  });

  it("defaults when the context is absent, and refuses a non-string value", () => {
    const app = new App();
    expect(readHeraldContext(app.node)).toEqual({
      parameterPrefix: DEFAULT_PARAMETER_PREFIX,
      transport: "ses-smtp",
    });
    const bad = new App({ context: { transport: 42 } });
    expect(() => readHeraldContext(bad.node)).toThrow(/transport must be a string/);
  });

  it("refuses a bad prefix before anything is bundled", () => {
    expect(() => new HeraldStack(new App(), "Bad", { parameterPrefix: "/aws/x" })).toThrow(/reserved/);
  });
});

describe("HeraldStack with the default context", () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth();
  }, SYNTH_TIMEOUT_MS);

  it("deploys two Node 24 arm64 functions, bundled as ESM", () => {
    s.template.resourceCountIs("AWS::Lambda::Function", 2);
    s.template.allResourcesProperties("AWS::Lambda::Function", {
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      MemorySize: 256,
      Timeout: 30,
      Handler: "index.handler",
    });
  });

  it("bundles each handler with the createRequire banner and a source map", () => {
    const dirs = readdirSync(s.app.outdir)
      .filter((name) => name.startsWith("asset."))
      .map((name) => join(s.app.outdir, name));
    expect(dirs).toHaveLength(2);
    for (const dir of dirs) {
      const code = readFileSync(join(dir, "index.mjs"), "utf8");
      expect(code.startsWith("import { createRequire } from 'module';")).toBe(true);
      expect(code).toContain("handler");
      expect(existsSync(join(dir, "index.mjs.map"))).toBe(true);
    }
  });

  it("gives each function the prefix, the transport, its service name and source maps", () => {
    for (const [fn, service] of [
      [s.stack.testSend, "herald-test-send"],
      [s.stack.validateSettings, "herald-validate-settings"],
    ] as const) {
      expect(functionOf(s, fn).Environment.Variables).toEqual({
        [PARAMETER_PREFIX_ENV]: "/herald",
        [TRANSPORT_ENV]: "ses-smtp",
        POWERTOOLS_SERVICE_NAME: service,
        NODE_OPTIONS: "--enable-source-maps",
      });
    }
  });

  it("logs each function to its own log group, kept one month", () => {
    s.template.resourceCountIs("AWS::Logs::LogGroup", 2);
    s.template.allResourcesProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
    for (const fn of [s.stack.testSend, s.stack.validateSettings]) {
      expect(functionOf(s, fn).LoggingConfig).toEqual({ LogGroup: { Ref: logicalId(s, fn.logGroup) } });
      const logs = roleOf(s, fn).statements.find((st) => actions(st).includes("logs:PutLogEvents"));
      expect(logs?.Resource).toEqual({ "Fn::GetAtt": [logicalId(s, fn.logGroup), "Arn"] });
      expect(actions(logs!)).toEqual(["logs:CreateLogStream", "logs:PutLogEvents"]);
    }
  });

  it("uses no AWS managed policy and no role outside the stack", () => {
    for (const fn of [s.stack.testSend, s.stack.validateSettings]) {
      expect(roleOf(s, fn).managed).toBeUndefined();
      expect(functionOf(s, fn).Role).toEqual({ "Fn::GetAtt": [logicalId(s, fn.role), "Arn"] });
    }
  });

  it("lets both functions read the settings under the prefix, and nothing else in SSM", () => {
    for (const fn of [s.stack.testSend, s.stack.validateSettings]) {
      const ssm = roleOf(s, fn).statements.filter((st) => actions(st).some((a) => a.startsWith("ssm:")));
      expect(ssm).toHaveLength(1);
      expect(actions(ssm[0]!)).toEqual(["ssm:GetParametersByPath"]);
      expect(resources(ssm[0]!)).toEqual([
        `${ARN}:ssm:${REGION_ACCOUNT}:parameter/herald`,
        `${ARN}:ssm:${REGION_ACCOUNT}:parameter/herald/*`,
      ]);
    }
  });

  it("allows kms:Decrypt only through SSM, for parameters under the prefix", () => {
    for (const fn of [s.stack.testSend, s.stack.validateSettings]) {
      const kms = roleOf(s, fn).statements.filter((st) => actions(st).some((a) => a.startsWith("kms:")));
      expect(kms).toHaveLength(1);
      expect(actions(kms[0]!)).toEqual(["kms:Decrypt"]);
      expect(flat(kms[0]!.Condition?.StringEquals?.["kms:ViaService"])).toBe(
        "ssm.${AWS::Region}.amazonaws.com",
      );
      expect(flat(kms[0]!.Condition?.StringLike?.["kms:EncryptionContext:PARAMETER_ARN"])).toBe(
        `${ARN}:ssm:${REGION_ACCOUNT}:parameter/herald/*`,
      );
    }
  });

  it("gives the SES read permissions to validate-settings only", () => {
    const ses = (fn: SettingsFunction) =>
      roleOf(s, fn).statements.filter((st) => actions(st).some((a) => a.startsWith("ses:")));
    expect(ses(s.stack.testSend)).toEqual([]);
    const validate = ses(s.stack.validateSettings);
    expect(validate.flatMap(actions).sort()).toEqual(["ses:GetAccount", "ses:GetEmailIdentity"]);
    const identity = validate.find((st) => actions(st).includes("ses:GetEmailIdentity"))!;
    expect(resources(identity)).toEqual([`${ARN}:ses:${REGION_ACCOUNT}:identity/*`]);
  });

  it("outputs the function names an operator invokes", () => {
    s.template.hasOutput("TestSendFunctionName", { Value: { Ref: logicalId(s, s.stack.testSend.function) } });
    s.template.hasOutput("ValidateSettingsFunctionName", {
      Value: { Ref: logicalId(s, s.stack.validateSettings.function) },
    });
    s.template.hasOutput("ParameterPrefix", { Value: "/herald" });
  });

  it("holds no secret", () => {
    const json = JSON.stringify(s.template.toJSON());
    expect(json).not.toContain("SMTPPassword");
    expect(json).not.toContain("SMTPPASSWORD");
  });

  it("passes cdk-nag's AWS Solutions checks, every wildcard acknowledged with a reason", () => {
    const report = new cdkNag.AwsSolutionsChecks().validateScope(s.stack);
    expect(report.violations.map((v) => `${v.ruleName} ${JSON.stringify(v.violatingResources)}`)).toEqual([]);
    expect(report.success).toBe(true);
    const annotations = Annotations.fromStack(s.stack);
    expect(annotations.findError("*", Match.stringLikeRegexp("AwsSolutions-.*"))).toEqual([]);
    expect(annotations.findWarning("*", Match.stringLikeRegexp("AwsSolutions-.*"))).toEqual([]);
    // No CDK warning either (deprecations, bundling, runtime).
    expect(annotations.findWarning("*", Match.anyValue())).toEqual([]);
  });
});

describe("HeraldStack with -c parameterPrefix=acme/mail/ -c transport=ses-api", () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth({ parameterPrefix: "acme/mail/", transport: "ses-api" });
  }, SYNTH_TIMEOUT_MS);

  it("passes the normalized prefix and the transport to both functions", () => {
    for (const fn of [s.stack.testSend, s.stack.validateSettings]) {
      expect(functionOf(s, fn).Environment.Variables).toMatchObject({
        [PARAMETER_PREFIX_ENV]: "/acme/mail",
        [TRANSPORT_ENV]: "ses-api",
      });
    }
    s.template.hasOutput("ParameterPrefix", { Value: "/acme/mail" });
  });

  it("scopes SSM and KMS to the custom prefix", () => {
    for (const fn of [s.stack.testSend, s.stack.validateSettings]) {
      const { statements } = roleOf(s, fn);
      const ssm = statements.find((st) => actions(st).includes("ssm:GetParametersByPath"))!;
      expect(resources(ssm)).toEqual([
        `${ARN}:ssm:${REGION_ACCOUNT}:parameter/acme/mail`,
        `${ARN}:ssm:${REGION_ACCOUNT}:parameter/acme/mail/*`,
      ]);
      const kms = statements.find((st) => actions(st).includes("kms:Decrypt"))!;
      expect(flat(kms.Condition?.StringLike?.["kms:EncryptionContext:PARAMETER_ARN"])).toBe(
        `${ARN}:ssm:${REGION_ACCOUNT}:parameter/acme/mail/*`,
      );
      expect(JSON.stringify(statements)).not.toContain("parameter/herald");
    }
  });

  it("still passes cdk-nag: the acknowledgments follow the prefix", () => {
    expect(new cdkNag.AwsSolutionsChecks().validateScope(s.stack).violations).toEqual([]);
  });
});
