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

/** What the record of a sent notification keeps (counts and digests, not addresses: no PII at rest). */
export interface SentRecord {
  messageId: string;
  providerMessageId?: string;
  accepted: number;
  rejected: number;
  sentAt: string;
  /**
   * Digests of the recipients that are done (accepted, or refused for good) after this
   * round; the others refused it for now and are sent to in the next round.
   * @default everyone (a record written before rounds)
   */
  settled?: string[];
  /** when round 0 sent it: later rounds keep its Date header */
  firstSentAt?: string;
  /** completed without knowing whether it arrived (at-most-once policy) */
  unknown?: boolean;
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

/**
 * Records in the shared DynamoDB table (attribute names are Powertools' defaults). With
 * `callsEndAt`, every call is aborted at that epoch ms (the invocation's end less a margin):
 * a hung table fails its records, it cannot hold the handler past middy's timeout, which
 * would fail the whole batch after some of it was sent.
 */
export function dynamoDbPersistence(
  client: DynamoDBClient,
  tableName: string,
  callsEndAt?: () => number | undefined,
): BasePersistenceLayer {
  return new DynamoDBPersistenceLayer({
    tableName,
    awsSdkV3Client: callsEndAt ? boundedClient(client, callsEndAt) : client,
  });
}

/** The client, with an abort signal at `endAt` on every send that has none of its own. */
function boundedClient(client: DynamoDBClient, endAt: () => number | undefined): DynamoDBClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== "send") return Reflect.get(target, property, receiver) as unknown;
      return (command: Parameters<DynamoDBClient["send"]>[0], options?: { abortSignal?: AbortSignal }) => {
        const end = endAt();
        const bounded =
          options?.abortSignal || end === undefined
            ? options
            : { ...options, abortSignal: AbortSignal.timeout(Math.max(end - Date.now(), 0)) };
        return target.send(command, bounded);
      };
    },
  });
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
