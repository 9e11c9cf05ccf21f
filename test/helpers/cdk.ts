// Helpers for the CDK tests: apps with cdk.json's context (feature flags included), bundling
// skipped unless a test needs the bundles, cdk-nag findings, and IAM statements in readable form.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Stack, type CfnResource } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import cdkNag from "cdk-nag";
import type { IConstruct } from "constructs";
import { PROJECT_ROOT } from "../../lib/private/bundling.ts";

export const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, "cdk.json"), "utf8")) as {
  app: string;
  context: Record<string, unknown>;
};

/** Bundling all six handlers takes half a minute on two cores: only tests that read bundles do it. */
export const SYNTH_TIMEOUT_MS = 180_000;

const outdirs: string[] = [];

/** Removes the apps' output directories (call in afterAll). */
export function removeOutdirs(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** An app with cdk.json's context plus `context`; `bundle: false` leaves functions unbundled. */
export function newApp(context: Record<string, unknown> = {}, options: { bundle?: boolean } = {}): App {
  const outdir = mkdtempSync(join(tmpdir(), "herald-cdk-"));
  outdirs.push(outdir);
  return new App({
    outdir,
    context: {
      ...cdkJson.context,
      ...(options.bundle ? {} : { "aws:cdk:bundling-stacks": [] }),
      ...context,
    },
  });
}

/** A fresh stack in its own app, for a construct used alone. */
export function freshStack(env?: { region?: string; account?: string }): Stack {
  return new Stack(newApp(), "Test", env ? { env } : {});
}

/** cdk-nag AwsSolutions findings that are not acknowledged, as readable strings. */
export function nagFindings(scope: IConstruct): string[] {
  const report = new cdkNag.AwsSolutionsChecks().validateScope(scope);
  return report.violations.map((v) => `${v.ruleName} ${JSON.stringify(v.violatingResources)}`);
}

/** CDK warnings and errors of a stack (deprecations, bundling, runtimes, cdk-nag). */
export function warningsAndErrors(stack: Stack): unknown[] {
  const annotations = Annotations.fromStack(stack);
  return [...annotations.findWarning("*", Match.anyValue()), ...annotations.findError("*", Match.anyValue())];
}

/** A Fn::Join of literals, Refs and GetAtts as one readable string: `arn:${AWS::Partition}:...`. */
export function flat(value: unknown): string {
  if (typeof value === "string") return value;
  const v = value as { "Fn::Join"?: [string, unknown[]]; Ref?: string; "Fn::GetAtt"?: string[] };
  if (v.Ref) return `\${${v.Ref}}`;
  if (v["Fn::GetAtt"]) return `\${${v["Fn::GetAtt"].join(".")}}`;
  if (v["Fn::Join"]) return v["Fn::Join"][1].map(flat).join(v["Fn::Join"][0]);
  return JSON.stringify(value);
}

export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnResource);
}

/** Every statement of the IAM policies attached to a role or user (inline and AWS::IAM::Policy). */
export function statementsOf(template: Template, principal: IConstruct): Statement[] {
  const id = logicalId(principal);
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  const inline = (
    (resources[id]?.Properties?.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]
  ).flatMap((p) => p.PolicyDocument.Statement);
  const attached = Object.values(resources)
    .filter((r) => r.Type === "AWS::IAM::Policy")
    .filter((r) => JSON.stringify([r.Properties.Roles, r.Properties.Users]).includes(`"${id}"`))
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  return [...inline, ...attached];
}

export function actions(statement: Statement): string[] {
  return [statement.Action].flat();
}

export function resources(statement: Statement): string[] {
  return [statement.Resource].flat().map(flat);
}

/** All actions a principal is allowed, sorted and unique. */
export function allowedActions(template: Template, principal: IConstruct): string[] {
  return [...new Set(statementsOf(template, principal).flatMap(actions))].sort();
}

export const ARN = "arn:${AWS::Partition}";
export const REGION_ACCOUNT = "${AWS::Region}:${AWS::AccountId}";
