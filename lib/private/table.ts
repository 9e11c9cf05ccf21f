// The table shared by idempotency records (Powertools' defaults: partition key `id`, TTL
// attribute `expiration`) and sent-bulletin records (`bulletin#<id>#<admin>`, `installation`).
import { RemovalPolicy } from "aws-cdk-lib";
import { AttributeType, BillingMode, Table, type ITable } from "aws-cdk-lib/aws-dynamodb";
import type { Grant, IGrantable } from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";

export const TABLE_PARTITION_KEY = "id";
export const TABLE_TTL_ATTRIBUTE = "expiration";

export function createHeraldTable(scope: Construct, id: string, deletionProtection: boolean): Table {
  return new Table(scope, id, {
    partitionKey: { name: TABLE_PARTITION_KEY, type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: TABLE_TTL_ATTRIBUTE,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection,
    // A protected table is kept when the stack goes; an unprotected one goes with it.
    removalPolicy: deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  });
}

/**
 * The item calls Herald's code makes on the table (Powertools idempotency and the
 * security-alert records): one item at a time, never Scan, Query or batch calls.
 */
export const TABLE_ITEM_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
] as const;

export function grantItemCalls(table: ITable, grantee: IGrantable): Grant {
  return table.grant(grantee, ...TABLE_ITEM_ACTIONS);
}
