/**
 * Powertools idempotency records in DynamoDB, written with @aws-sdk/client-dynamodb alone.
 *
 * Powertools' own DynamoDBPersistenceLayer needs its optional peer @aws-sdk/lib-dynamodb
 * (for marshall/unmarshall), which this project does not install. This layer keeps the
 * same table shape (partition key `id`; attributes `status`, `expiration` (the TTL),
 * `in_progress_expiration`, `data`) and the same conditional write, so the two can replace
 * each other on a live table.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import {
  IdempotencyItemAlreadyExistsError,
  IdempotencyItemNotFoundError,
} from "@aws-lambda-powertools/idempotency";
import { BasePersistenceLayer, IdempotencyRecord } from "@aws-lambda-powertools/idempotency/persistence";

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A JSON value as a DynamoDB attribute (what a stored response holds). */
export function toAttribute(value: unknown): AttributeValue {
  if (value === null || value === undefined) return { NULL: true };
  if (typeof value === "string") return { S: value };
  if (typeof value === "number") return { N: String(value) };
  if (typeof value === "boolean") return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(toAttribute) };
  if (typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return { M: Object.fromEntries(entries.map(([k, v]) => [k, toAttribute(v)])) };
  }
  throw new TypeError(`cannot store a ${typeof value} in an idempotency record`);
}

export function fromAttribute(value: AttributeValue): Json {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.L !== undefined) return value.L.map(fromAttribute);
  if (value.M !== undefined) {
    return Object.fromEntries(Object.entries(value.M).map(([k, v]) => [k, fromAttribute(v)]));
  }
  return null;
}

const ATTR = {
  key: "id",
  status: "status",
  expiry: "expiration",
  inProgressExpiry: "in_progress_expiration",
  data: "data",
} as const;

export class DynamoDbPersistenceLayer extends BasePersistenceLayer {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: { client: DynamoDBClient; tableName: string }) {
    super();
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  #key(idempotencyKey: string): Record<string, AttributeValue> {
    return { [ATTR.key]: { S: idempotencyKey } };
  }

  #record(item: Record<string, AttributeValue>): IdempotencyRecord {
    const value = (name: string) => (item[name] ? fromAttribute(item[name]) : undefined);
    return new IdempotencyRecord({
      idempotencyKey: value(ATTR.key) as string,
      status: value(ATTR.status) as "INPROGRESS" | "COMPLETED" | "EXPIRED",
      expiryTimestamp: value(ATTR.expiry) as number | undefined,
      inProgressExpiryTimestamp: value(ATTR.inProgressExpiry) as number | undefined,
      responseData: value(ATTR.data) as Record<string, Json> | undefined,
    });
  }

  protected override async _getRecord(idempotencyKey: string): Promise<IdempotencyRecord> {
    const { Item } = await this.#client.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: this.#key(idempotencyKey),
        ConsistentRead: true,
      }),
    );
    if (!Item) throw new IdempotencyItemNotFoundError();
    return this.#record(Item);
  }

  /**
   * Claim the key: it may be written when absent, expired, or in progress past its
   * in-progress expiry (a crashed invocation), as Powertools' layer does.
   */
  protected override async _putRecord(record: IdempotencyRecord): Promise<void> {
    const item: Record<string, AttributeValue> = {
      ...this.#key(record.idempotencyKey),
      [ATTR.status]: { S: record.getStatus() },
      [ATTR.expiry]: toAttribute(record.expiryTimestamp),
    };
    if (record.inProgressExpiryTimestamp !== undefined) {
      item[ATTR.inProgressExpiry] = { N: String(record.inProgressExpiryTimestamp) };
    }
    const now = Date.now();
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: item,
          ConditionExpression:
            "attribute_not_exists(#id) OR #expiry < :now OR (#status = :inprogress AND attribute_exists(#in_progress_expiry) AND #in_progress_expiry < :now_in_millis)",
          ExpressionAttributeNames: {
            "#id": ATTR.key,
            "#expiry": ATTR.expiry,
            "#status": ATTR.status,
            "#in_progress_expiry": ATTR.inProgressExpiry,
          },
          ExpressionAttributeValues: {
            ":now": { N: String(now / 1000) },
            ":now_in_millis": { N: String(now) },
            ":inprogress": { S: "INPROGRESS" },
          },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new IdempotencyItemAlreadyExistsError(
          `Failed to put record for already existing idempotency key: ${record.idempotencyKey}`,
          error.Item ? this.#record(error.Item) : undefined,
        );
      }
      throw error;
    }
  }

  protected override async _updateRecord(record: IdempotencyRecord): Promise<void> {
    const names: Record<string, string> = { "#expiry": ATTR.expiry, "#status": ATTR.status };
    const values: Record<string, AttributeValue> = {
      ":expiry": toAttribute(record.expiryTimestamp),
      ":status": { S: record.getStatus() },
    };
    const sets = ["#expiry = :expiry", "#status = :status"];
    if (record.responseData !== undefined) {
      names["#response_data"] = ATTR.data;
      values[":response_data"] = toAttribute(record.responseData);
      sets.push("#response_data = :response_data");
    }
    await this.#client.send(
      new UpdateItemCommand({
        TableName: this.#tableName,
        Key: this.#key(record.idempotencyKey),
        UpdateExpression: `SET ${sets.join(", ")}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  protected override async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    await this.#client.send(
      new DeleteItemCommand({ TableName: this.#tableName, Key: this.#key(record.idempotencyKey) }),
    );
  }
}
