// The table shared by idempotency records (Powertools' defaults: partition key `id`, TTL
// attribute `expiration`) and sent-bulletin records (`bulletin#<id>#<admin>`, `installation`).
import { RemovalPolicy } from "aws-cdk-lib";
import { AttributeType, BillingMode, Table } from "aws-cdk-lib/aws-dynamodb";
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
