// A synthesized template with every intrinsic resolved to the concrete value a deployment in
// one account and region would give it (Refs, GetAtts, Joins, pseudo parameters), so that IAM
// policies can be simulated on exact ARNs. Physical names are the logical ids.
import type { Template } from "aws-cdk-lib/assertions";
import type { Stack } from "aws-cdk-lib";
import type { IConstruct } from "constructs";
import { logicalId } from "./cdk.ts";

export const ACCOUNT = "111111111111";
export const PARTITION = "aws";

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

export type PolicyDocument = { Version?: string; Statement: Record<string, unknown>[] };

export class ResolvedTemplate {
  readonly region: string;
  readonly resources: Record<string, CfnResource>;
  private readonly raw: Record<string, CfnResource>;
  private readonly stack: Stack;

  constructor(stack: Stack, template: Template, region: string) {
    this.stack = stack;
    this.region = region;
    this.raw = template.toJSON().Resources as Record<string, CfnResource>;
    this.resources = {};
    for (const [id, r] of Object.entries(this.raw)) {
      this.resources[id] = { Type: r.Type, Properties: this.resolve(r.Properties ?? {}) as never };
    }
  }

  private arn(service: string, resource: string, region = this.region, account = ACCOUNT): string {
    return `arn:${PARTITION}:${service}:${region}:${account}:${resource}`;
  }

  /** What `Ref` gives for a resource. */
  private ref(id: string): string {
    const pseudo: Record<string, string> = {
      "AWS::Partition": PARTITION,
      "AWS::Region": this.region,
      "AWS::AccountId": ACCOUNT,
      "AWS::URLSuffix": "amazonaws.com",
      "AWS::StackName": "Herald",
    };
    if (pseudo[id]) return pseudo[id];
    const r = this.raw[id];
    if (!r) throw new Error(`Ref to unknown resource ${id}`);
    const p = r.Properties ?? {};
    switch (r.Type) {
      case "AWS::SQS::Queue":
        return `https://sqs.${this.region}.amazonaws.com/${ACCOUNT}/${id}`;
      case "AWS::SNS::Topic":
        return this.arn("sns", id);
      case "AWS::SSM::Parameter":
        return this.resolve(p.Name ?? id) as string;
      case "AWS::SES::EmailIdentity":
        return this.resolve(p.EmailIdentity) as string;
      case "AWS::SES::ConfigurationSet":
        return (this.resolve(p.Name) as string | undefined) ?? id;
      case "AWS::KMS::Key":
        return `key-${id}`;
      default:
        return id;
    }
  }

  /** What `Fn::GetAtt` gives. */
  private getAtt(id: string, attribute: string): string {
    const r = this.raw[id];
    if (!r) throw new Error(`GetAtt of unknown resource ${id}`);
    if (attribute !== "Arn" && !attribute.endsWith("Arn")) {
      if (attribute === "QueueName" || attribute === "Name" || attribute === "TopicName") return id;
      if (attribute === "QueueUrl") return this.ref(id);
      return `${id}.${attribute}`;
    }
    switch (r.Type) {
      case "AWS::SQS::Queue":
        return this.arn("sqs", id);
      case "AWS::SNS::Topic":
        return this.arn("sns", id);
      case "AWS::KMS::Key":
        return this.arn("kms", `key/${this.ref(id)}`);
      case "AWS::DynamoDB::Table":
        return this.arn("dynamodb", `table/${id}`);
      case "AWS::Events::EventBus":
        return this.arn("events", `event-bus/${id}`);
      case "AWS::Events::Rule":
        return this.arn("events", `rule/${id}`);
      case "AWS::Lambda::Function":
        return this.arn("lambda", `function:${id}`);
      case "AWS::IAM::Role":
        return `arn:${PARTITION}:iam::${ACCOUNT}:role/${id}`;
      case "AWS::IAM::User":
        return `arn:${PARTITION}:iam::${ACCOUNT}:user/${id}`;
      case "AWS::Logs::LogGroup":
        return this.arn("logs", `log-group:${id}:*`);
      case "AWS::CloudWatch::Alarm":
        return this.arn("cloudwatch", `alarm:${id}`);
      case "AWS::Scheduler::Schedule":
        return this.arn("scheduler", `schedule/default/${id}`);
      default:
        return this.arn("unknown", `${r.Type}/${id}`);
    }
  }

  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== "object") return value;
    const v = value as Record<string, unknown>;
    const keys = Object.keys(v);
    const key = keys[0];
    if (keys.length === 1 && key !== undefined) {
      const arg = v[key];
      if (key === "Ref") return this.ref(arg as string);
      if (key === "Fn::GetAtt") {
        const [id, attribute] = (typeof arg === "string" ? arg.split(".") : arg) as [string, string];
        return this.getAtt(id, attribute);
      }
      if (key === "Fn::Join") {
        const [sep, parts] = arg as [string, unknown[]];
        return (this.resolve(parts) as unknown[]).join(sep);
      }
      if (key === "Fn::Select") {
        const [index, list] = arg as [number, unknown];
        return (this.resolve(list) as unknown[])[Number(index)];
      }
      if (key === "Fn::Split") {
        const [sep, text] = arg as [string, unknown];
        return (this.resolve(text) as string).split(sep);
      }
      if (key === "Fn::Sub") {
        const [text, vars] = typeof arg === "string" ? [arg, {}] : (arg as [string, Record<string, unknown>]);
        return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
          if (name in vars) return this.resolve(vars[name]) as string;
          const [id, attribute] = name.split(".") as [string, string | undefined];
          return attribute ? this.getAtt(id, attribute) : this.ref(id);
        });
      }
      if (key.startsWith("Fn::")) throw new Error(`unresolved intrinsic ${key}`);
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.resolve(x)]));
  }

  /** The concrete value of a token (an ARN, a name) of the stack. */
  value(token: string): string {
    return this.resolve(this.stack.resolve(token)) as string;
  }

  /** The ARN of a role or user construct. */
  principalArn(principal: IConstruct): string {
    return this.getAtt(logicalId(principal), "Arn");
  }

  private ofType(type: string): [string, Record<string, unknown>][] {
    return Object.entries(this.resources)
      .filter(([, r]) => r.Type === type)
      .map(([id, r]) => [id, r.Properties ?? {}]);
  }

  /** Every identity policy of a role or user (inline and AWS::IAM::Policy). */
  identityPolicies(principal: IConstruct): { name: string; policy: PolicyDocument }[] {
    const id = logicalId(principal);
    const inline = (
      (this.resources[id]?.Properties?.Policies ?? []) as {
        PolicyName: string;
        PolicyDocument: PolicyDocument;
      }[]
    ).map((p) => ({ name: p.PolicyName, policy: p.PolicyDocument }));
    const rawAttached = Object.entries(this.raw).filter(
      ([, r]) =>
        (r.Type === "AWS::IAM::Policy" || r.Type === "AWS::IAM::ManagedPolicy") &&
        JSON.stringify([r.Properties?.Roles, r.Properties?.Users]).includes(`"${id}"`),
    );
    const attached = rawAttached.map(([policyId]) => ({
      name: policyId,
      policy: this.resources[policyId]?.Properties?.PolicyDocument as PolicyDocument,
    }));
    return [...inline, ...attached];
  }

  /** The resource policy that governs `arn` (key, topic, queue, bus, function, role trust), if any. */
  resourcePolicy(arn: string): PolicyDocument | undefined {
    const statements: Record<string, unknown>[] = [];
    for (const [id, p] of this.ofType("AWS::KMS::Key"))
      if (this.getAtt(id, "Arn") === arn) statements.push(...(p.KeyPolicy as PolicyDocument).Statement);
    for (const [, p] of this.ofType("AWS::SNS::TopicPolicy"))
      if ((p.Topics as string[]).includes(arn))
        statements.push(...(p.PolicyDocument as PolicyDocument).Statement);
    for (const [, p] of this.ofType("AWS::SQS::QueuePolicy")) {
      const arns = (p.Queues as string[]).map((url) => this.arn("sqs", url.split("/").pop()!));
      if (arns.includes(arn)) statements.push(...(p.PolicyDocument as PolicyDocument).Statement);
    }
    for (const [, p] of this.ofType("AWS::Events::EventBusPolicy")) {
      if (this.arn("events", `event-bus/${p.EventBusName as string}`) === arn)
        statements.push(...(p.Statement ? [p.Statement as Record<string, unknown>] : []));
    }
    for (const [id, p] of this.ofType("AWS::Events::EventBus"))
      if (this.getAtt(id, "Arn") === arn && p.Policy)
        statements.push(...(p.Policy as PolicyDocument).Statement);
    for (const [, p] of this.ofType("AWS::Lambda::Permission")) {
      const fn = p.FunctionName as string;
      const fnArn = fn.startsWith("arn:") ? fn : this.arn("lambda", `function:${fn}`);
      if (fnArn !== arn) continue;
      statements.push({
        Effect: "Allow",
        Principal: String(p.Principal).includes(".amazonaws.com")
          ? { Service: p.Principal }
          : { AWS: p.Principal },
        Action: p.Action,
        Resource: fnArn,
        ...(p.SourceArn ? { Condition: { ArnLike: { "aws:SourceArn": p.SourceArn } } } : {}),
      });
    }
    for (const [id, p] of this.ofType("AWS::IAM::Role"))
      if (this.getAtt(id, "Arn") === arn)
        statements.push(...(p.AssumeRolePolicyDocument as PolicyDocument).Statement);
    return statements.length > 0 ? { Version: "2012-10-17", Statement: statements } : undefined;
  }
}
