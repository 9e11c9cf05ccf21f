// cdk-nag acknowledgements that more than one construct needs, worded once, with the resource
// named as cdk-nag prints it (`arn:<AWS::Partition>:ssm:...`, `<LogicalId.Arn>:*`).
import { Stack, Validations } from "aws-cdk-lib";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { IConstruct } from "constructs";

/** A resolved template value as cdk-nag writes it in a finding. */
function nagText(value: unknown): string {
  if (typeof value === "string") return value;
  const v = value as { Ref?: string; "Fn::GetAtt"?: [string, string]; "Fn::Join"?: [string, unknown[]] };
  if (v.Ref !== undefined) return `<${v.Ref}>`;
  if (v["Fn::GetAtt"]) return `<${v["Fn::GetAtt"].join(".")}>`;
  if (v["Fn::Join"]) return v["Fn::Join"][1].map(nagText).join(v["Fn::Join"][0]);
  return JSON.stringify(value);
}

/** How cdk-nag names `resource` (an ARN, possibly with tokens) in an AwsSolutions-IAM5 finding. */
export function nagResource(scope: IConstruct, resource: string): string {
  return nagText(Stack.of(scope).resolve(resource));
}

/** AwsSolutions-IAM5 on one wildcard resource of `principal`'s policies, with the reason. */
export function acknowledgeWildcard(principal: IConstruct, resource: string, reason: string): void {
  Validations.of(principal).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${nagResource(principal, resource)}]`,
    reason,
  });
}

/**
 * `lambda:InvokeFunction` on `<function arn>:*`: how CDK grants invoking a function (its
 * versions and aliases included) to a caller's role.
 */
export function acknowledgeInvokeVersions(role: IConstruct, fn: IFunction, caller: string): void {
  acknowledgeWildcard(
    role,
    `${fn.functionArn}:*`,
    `${caller} invokes this one function; CDK's grant covers its versions and aliases (<arn>:*).`,
  );
}
