// Notification status: the records the send-notification and feedback functions write per
// notification id (`status#<id>` items in the shared table) and the console function that
// reads one ({ "id": "..." }). The reader may read status items only; the writers may update
// them. Retention and the address form reach the functions as HERALD_STATUS_* variables.
import { Duration } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { Grant, type IGrantable } from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import {
  SERVICE_NAMES,
  STATUS_ADDRESSES_ENV,
  STATUS_KEY_PREFIX,
  STATUS_RETENTION_DAYS_ENV,
  type StatusAddressForm,
  TABLE_NAME_ENV,
} from "../src/constants.ts";
import { HeraldFunction, type HeraldFunctionOptions } from "./private/herald-function.ts";
import { check } from "./private/validate.ts";

/** The status function's console test event (examples/events/notification-status.json). */
export const NOTIFICATION_STATUS_EVENT = '{ "id": "post.abc123" }';

/**
 * The calls the status function's role must allow and refuse, for the IAM policy simulation:
 * reads of status items only (keys `status#...`), nothing else in the table.
 */
export const NOTIFICATION_STATUS_EXPECTED_CALLS = {
  allowed: [{ action: "dynamodb:GetItem", leadingKey: `${STATUS_KEY_PREFIX}post.abc123` }],
  denied: [
    { action: "dynamodb:GetItem", leadingKey: "notification#0f3c" },
    { action: "dynamodb:GetItem", leadingKey: "installation" },
    { action: "dynamodb:UpdateItem", leadingKey: `${STATUS_KEY_PREFIX}post.abc123` },
    { action: "dynamodb:PutItem", leadingKey: `${STATUS_KEY_PREFIX}post.abc123` },
    { action: "dynamodb:Scan", leadingKey: `${STATUS_KEY_PREFIX}post.abc123` },
  ],
} as const;

export interface NotificationStatusProps extends HeraldFunctionOptions {
  /** The shared table (partition key `id`, TTL attribute `expiration`). */
  readonly table: ITable;
  /** Functions that write status records (the sender, the feedback function). @default none */
  readonly writers?: readonly HeraldFunction[];
  /**
   * How long a record is kept after the send (whole days, 1 to 3650).
   * @default Duration.days(30)
   */
  readonly retention?: Duration;
  /**
   * How records keep recipients' addresses: "plain" (as given) or "hashed" (SHA-256 of the
   * lower-cased address; `herald status` then shows `sha256:<hex>`).
   * @default "plain"
   */
  readonly addresses?: StatusAddressForm;
}

/** Only items whose partition key starts with `status#`. */
function statusKeysOnly() {
  return { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [`${STATUS_KEY_PREFIX}*`] } };
}

export class NotificationStatus extends Construct {
  /** lambdas/notification-status.ts: invoke with { "id": "..." }. */
  readonly reader: HeraldFunction;
  readonly table: ITable;

  constructor(scope: Construct, id: string, props: NotificationStatusProps) {
    super(scope, id);
    this.table = props.table;
    const days = (props.retention ?? Duration.days(30)).toDays({ integral: false });
    check(
      "NotificationStatus",
      "retention (days)",
      days,
      Number.isInteger(days) && days >= 1 && days <= 3650,
      "must be whole days from 1 to 3650, e.g. Duration.days(30)",
    );
    const environment = {
      [TABLE_NAME_ENV]: props.table.tableName,
      [STATUS_RETENTION_DAYS_ENV]: String(days),
      [STATUS_ADDRESSES_ENV]: props.addresses ?? "plain",
    };
    this.reader = new HeraldFunction(this, "Reader", {
      entry: "lambdas/notification-status.ts",
      description: 'Herald: a notification\'s delivery status per recipient; invoke with { "id": "..." }',
      serviceName: SERVICE_NAMES.status,
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      environment,
    });
    this.grantReadStatus(this.reader.role);
    for (const writer of props.writers ?? []) {
      for (const [name, value] of Object.entries(environment)) writer.function.addEnvironment(name, value);
      this.grantWriteStatus(writer.role);
    }
  }

  /** GetItem on status items only. */
  grantReadStatus(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ["dynamodb:GetItem"],
      resourceArns: [this.table.tableArn],
      conditions: statusKeysOnly(),
    });
  }

  /** UpdateItem (and GetItem) on status items only. */
  grantWriteStatus(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
      resourceArns: [this.table.tableArn],
      conditions: statusKeysOnly(),
    });
  }
}
