// NotificationStatus alone in a fresh stack: the status function may only read status items
// (GetItem, partition keys `status#...`); writers may update them, with the same condition.
import { Duration } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { AttributeType, Table } from "aws-cdk-lib/aws-dynamodb";
import { afterAll, describe, expect, it } from "vitest";
import { NOTIFICATION_STATUS_EXPECTED_CALLS, NotificationStatus } from "../../lib/notification-status.ts";
import { HeraldFunction } from "../../lib/private/herald-function.ts";
import { STATUS_ADDRESSES_ENV, STATUS_RETENTION_DAYS_ENV, TABLE_NAME_ENV } from "../../src/constants.ts";
import { allowedActions, freshStack, logicalId, removeOutdirs, statementsOf } from "../helpers/cdk.ts";

afterAll(removeOutdirs);

describe("NotificationStatus", () => {
  const stack = freshStack();
  const table = new Table(stack, "Table", { partitionKey: { name: "id", type: AttributeType.STRING } });
  const writer = new HeraldFunction(stack, "Writer", {
    entry: "lambdas/feedback.ts",
    description: "writer",
    serviceName: "herald-feedback",
  });
  const status = new NotificationStatus(stack, "Status", {
    table,
    writers: [writer],
    retention: Duration.days(7),
    addresses: "hashed",
  });
  const template = Template.fromStack(stack);
  const variables = (f: HeraldFunction) =>
    template.toJSON().Resources[logicalId(f.function)].Properties.Environment.Variables;
  const statusStatements = (f: HeraldFunction) =>
    statementsOf(template, f.role).filter((s) => [s.Action].flat().some((a) => a.startsWith("dynamodb:")));

  it("lets the status function GetItem on status# keys only, and nothing else in the table", () => {
    expect(allowedActions(template, status.reader.role)).toEqual([
      "dynamodb:GetItem",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]);
    const [statement, ...others] = statusStatements(status.reader);
    expect(others).toEqual([]);
    expect(statement!.Condition).toEqual({
      "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["status#*"] },
    });
    // what the policy simulation checks: every allowed key has the prefix, every denied action or key is outside
    for (const call of NOTIFICATION_STATUS_EXPECTED_CALLS.allowed) {
      expect(call.leadingKey.startsWith("status#")).toBe(true);
      expect([statement!.Action].flat()).toContain(call.action);
    }
    for (const call of NOTIFICATION_STATUS_EXPECTED_CALLS.denied) {
      const allowedAction = [statement!.Action].flat().includes(call.action);
      expect(allowedAction && call.leadingKey.startsWith("status#")).toBe(false);
    }
  });

  it("lets writers update status items only, and gives them the table, retention and address form", () => {
    const statements = statusStatements(writer);
    expect(statements.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      "dynamodb:GetItem",
      "dynamodb:UpdateItem",
    ]);
    expect(statements[0]!.Condition).toEqual({
      "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["status#*"] },
    });
    for (const f of [writer, status.reader]) {
      expect(variables(f)).toMatchObject({
        [TABLE_NAME_ENV]: { Ref: logicalId(table) },
        [STATUS_RETENTION_DAYS_ENV]: "7",
        [STATUS_ADDRESSES_ENV]: "hashed",
      });
    }
  });

  it("refuses a retention that is not whole days from 1 to 3650", () => {
    expect(() => new NotificationStatus(freshStack(), "S", { table, retention: Duration.hours(36) })).toThrow(
      /retention \(days\) 1.5 must be whole days/,
    );
  });
});
