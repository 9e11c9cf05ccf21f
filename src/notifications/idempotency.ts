/**
 * Idempotency records for notifications (Powertools idempotency): one record per event id
 * in the shared table (partition key `id`, TTL attribute `expiration`), or in memory for a
 * CLI run without a table.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  IdempotencyConfig,
  IdempotencyItemAlreadyExistsError,
  IdempotencyItemNotFoundError,
} from "@aws-lambda-powertools/idempotency";
import { BasePersistenceLayer, IdempotencyRecord } from "@aws-lambda-powertools/idempotency/persistence";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";

/** Record keys are `notification#<hash of the event id>`: the Lambda and the CLI share them. */
export const NOTIFICATION_KEY_PREFIX = "notification";

/**
 * How long a sent notification's id suppresses duplicates: EventBridge retries deliveries
 * for up to 24 hours, and SQS redelivers within its visibility timeout.
 */
export const DUPLICATE_WINDOW_SECONDS = 24 * 60 * 60;

/** What the record of a sent notification keeps (counts, not addresses: no PII at rest). */
export interface SentRecord {
  messageId: string;
  providerMessageId?: string;
  accepted: number;
  rejected: number;
  sentAt: string;
}

/**
 * The idempotency configuration: the key is the event's `id` only (a redelivered event and
 * an EventBridge envelope around the same detail are the same notification).
 */
export function notificationIdempotencyConfig(): IdempotencyConfig {
  return new IdempotencyConfig({
    eventKeyJmesPath: "id",
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: DUPLICATE_WINDOW_SECONDS,
  });
}

/** Records in the shared DynamoDB table (attribute names are Powertools' defaults). */
export function dynamoDbPersistence(client: DynamoDBClient, tableName: string): BasePersistenceLayer {
  return new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: client });
}

/**
 * Records in this process's memory, with the same rules as the DynamoDB layer's conditional
 * write: a key can be claimed when it is absent, expired, or in progress past its
 * in-progress expiry.
 */
export class InMemoryPersistenceLayer extends BasePersistenceLayer {
  readonly #records = new Map<string, IdempotencyRecord>();

  protected override async _putRecord(record: IdempotencyRecord): Promise<void> {
    const existing = this.#records.get(record.idempotencyKey);
    if (existing && !this.#claimable(existing)) {
      throw new IdempotencyItemAlreadyExistsError(
        `Failed to put record for already existing idempotency key: ${record.idempotencyKey}`,
        existing,
      );
    }
    this.#records.set(record.idempotencyKey, record);
  }

  protected override async _getRecord(idempotencyKey: string): Promise<IdempotencyRecord> {
    const record = this.#records.get(idempotencyKey);
    if (!record) throw new IdempotencyItemNotFoundError();
    return record;
  }

  protected override async _updateRecord(record: IdempotencyRecord): Promise<void> {
    this.#records.set(record.idempotencyKey, record);
  }

  protected override async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    this.#records.delete(record.idempotencyKey);
  }

  #claimable(existing: IdempotencyRecord): boolean {
    if (existing.isExpired()) return true;
    const inProgressUntil = existing.inProgressExpiryTimestamp;
    return (
      existing.getStatus() === "INPROGRESS" && inProgressUntil !== undefined && inProgressUntil < Date.now()
    );
  }
}
