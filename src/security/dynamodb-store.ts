import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { randomUUID } from "node:crypto";
import { ClaimLostError } from "./errors.ts";
import {
  INSTALLATION_RECORD_ID,
  pairRecordId,
  type BulletinPair,
  type Claim,
  type ClaimResult,
  type Lease,
  type SecurityStateStore,
} from "./state-store.ts";

/**
 * Records in the table shared with the notification pipeline (partition key `id`). A pair's
 * item: `{ id: "bulletin#<bulletinId>#<admin>", state: "sending"|"sent", owner, leaseUntil,
 * bulletinId, admin, sentAt?, messageId? }`; the installation id: `{ id: "installation",
 * installationId }`. No `expiration` (the table's TTL attribute) is set: a sent record must
 * outlive any TTL, or the bulletin would be sent again.
 */
export class DynamoDbStateStore implements SecurityStateStore {
  readonly kind = "dynamodb";
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(client: DynamoDBClient, tableName: string) {
    this.#client = client;
    this.#table = tableName;
  }

  async installationId(): Promise<string> {
    const existing = await this.#readInstallationId();
    if (existing) return existing;
    try {
      const id = randomUUID();
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: {
            id: { S: INSTALLATION_RECORD_ID },
            installationId: { S: id },
            createdAt: { S: new Date().toISOString() },
          },
          ConditionExpression: "attribute_not_exists(id)",
        }),
      );
      return id;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Another run created it between our read and our write: use theirs.
      const created = await this.#readInstallationId();
      if (created) return created;
      throw error;
    }
  }

  async #readInstallationId(): Promise<string | undefined> {
    const { Item } = await this.#client.send(
      new GetItemCommand({
        TableName: this.#table,
        Key: { id: { S: INSTALLATION_RECORD_ID } },
        ConsistentRead: true,
      }),
    );
    return Item?.installationId?.S || undefined;
  }

  async wasSent(pair: BulletinPair): Promise<boolean> {
    const item = await this.#readPair(pairRecordId(pair));
    return item?.state?.S === "sent";
  }

  async #readPair(id: string): Promise<Record<string, AttributeValue> | undefined> {
    const { Item } = await this.#client.send(
      new GetItemCommand({ TableName: this.#table, Key: { id: { S: id } }, ConsistentRead: true }),
    );
    return Item;
  }

  async claim(pair: BulletinPair, lease: Lease): Promise<ClaimResult> {
    const id = pairRecordId(pair);
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: {
            id: { S: id },
            state: { S: "sending" },
            owner: { S: lease.owner },
            leaseUntil: { N: String(lease.leaseUntil) },
            bulletinId: { S: pair.bulletinId },
            admin: { S: pair.admin },
          },
          // New, or a claim whose run crashed (its lease ran out). Never a "sent" record.
          ConditionExpression: "attribute_not_exists(id) OR (#state = :sending AND leaseUntil < :now)",
          ExpressionAttributeNames: { "#state": "state" },
          ExpressionAttributeValues: { ":sending": { S: "sending" }, ":now": { N: String(lease.now) } },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return { status: "claimed", claim: { pair, owner: lease.owner, token: id } };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Emulators may not return the old item with the failure: read it then.
      const old = error.Item ?? (await this.#readPair(id));
      if (old?.state?.S === "sent") return { status: "sent" };
      return { status: "busy", leaseUntil: Number(old?.leaseUntil?.N ?? 0) };
    }
  }

  async markSent(claim: Claim, details: { messageId: string; at: number }): Promise<void> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { id: { S: claim.token } },
          UpdateExpression: "SET #state = :sent, sentAt = :at, messageId = :messageId REMOVE leaseUntil",
          ConditionExpression: "#state = :sending AND #owner = :owner",
          ExpressionAttributeNames: { "#state": "state", "#owner": "owner" },
          ExpressionAttributeValues: {
            ":sent": { S: "sent" },
            ":sending": { S: "sending" },
            ":owner": { S: claim.owner },
            ":at": { S: new Date(details.at).toISOString() },
            ":messageId": { S: details.messageId },
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      throw new ClaimLostError(
        `the claim on bulletin ${claim.pair.bulletinId} for ${claim.pair.admin} was taken over by another run`,
        { cause: error },
      );
    }
  }

  async release(claim: Claim): Promise<void> {
    try {
      await this.#client.send(
        new DeleteItemCommand({
          TableName: this.#table,
          Key: { id: { S: claim.token } },
          ConditionExpression: "#state = :sending AND #owner = :owner",
          ExpressionAttributeNames: { "#state": "state", "#owner": "owner" },
          ExpressionAttributeValues: { ":sending": { S: "sending" }, ":owner": { S: claim.owner } },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
