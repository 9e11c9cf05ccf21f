/**
 * Status records in the shared table (`status#<id>`, TTL attribute `expiration`). Every write
 * is one UpdateItem, so concurrent writers never lose each other's fields:
 * - a recipient's state is replaced only by a later event (condition on its order): events
 *   arriving out of order or twice leave the latest state, whatever order they came in;
 * - recipients are a string set (ADD): the pipeline and SES may each add them, once;
 * - the expiry is fixed by the send (the pipeline's write, else the first SES event's send
 *   time) and never extended: an event for an expired record does not bring it back.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { STATUS_KEY_PREFIX } from "../constants.ts";
import {
  recipientAttribute,
  storedAddress,
  updateOrder,
  type NotificationStatus,
  type RecipientStatus,
  type RecipientUpdate,
  type StatusConfig,
} from "./record.ts";

export interface StatusStoreOptions extends StatusConfig {
  client: DynamoDBClient;
  tableName: string;
  /** @default Date.now */
  now?: () => number;
  /**
   * epoch ms at which every call is aborted (the invocation's end less a margin), so a hung
   * table cannot hold the handler past its invocation. @default none (the client's own timeouts)
   */
  callsEndAt?: () => number | undefined;
}

/** What the pipeline knows after one attempt at a notification. */
export interface PipelineAttempt {
  id: string;
  /** ses-api, ses-smtp or smtp */
  transport: string;
  outcome: "sent" | "retryable" | "permanent" | "disabled";
  /** epoch ms of the outcome */
  at: number;
  recipients: string[];
  messageId?: string;
  providerMessageId?: string;
  code?: string;
  reason?: string;
  /** per recipient, when the outcome says something about them (accepted, refused) */
  updates?: RecipientUpdate[];
}

/** What one SES event says about a notification. */
export interface SesStatusEvent {
  id: string;
  sesMessageId: string;
  /** epoch ms SES accepted the message (mail.timestamp): the record's expiry counts from it */
  sentAt: number;
  updates: RecipientUpdate[];
}

export interface StatusStore {
  recordAttempt(attempt: PipelineAttempt): Promise<void>;
  /** false when the record had expired (nothing written) */
  applySesEvent(event: SesStatusEvent): Promise<boolean>;
  read(id: string): Promise<NotificationStatus | undefined>;
}

/** Attribute names of a record (the recipients' own are `r_<digest>`). */
const A = {
  expiration: "expiration",
  recipients: "recipients",
} as const;

export function statusKey(id: string): string {
  return `${STATUS_KEY_PREFIX}${id}`;
}

function stateMap(update: RecipientUpdate, form: StatusConfig["addresses"]): Record<string, unknown> {
  const { address, at, ...rest } = update;
  const map: Record<string, unknown> = {
    address: storedAddress(address, form),
    at: new Date(at).toISOString(),
    order: updateOrder(update),
  };
  for (const [name, value] of Object.entries(rest)) if (value !== undefined) map[name] = value;
  return map;
}

export function createStatusStore(options: StatusStoreOptions): StatusStore {
  const documents = DynamoDBDocumentClient.from(options.client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const now = options.now ?? Date.now;
  const bound = () => {
    const end = options.callsEndAt?.();
    return end === undefined ? {} : { abortSignal: AbortSignal.timeout(Math.max(end - Date.now(), 0)) };
  };
  const expiry = (sentAt: number) => Math.floor(sentAt / 1000) + options.retentionSeconds;
  const stored = (address: string) => storedAddress(address, options.addresses);

  /** One recipient's state, if it is later than the one recorded; false when it was not. */
  async function putRecipient(id: string, update: RecipientUpdate, sentAt: number, sesMessageId?: string) {
    const names: Record<string, string> = {
      "#r": recipientAttribute(update.address),
      "#order": "order",
      "#exp": A.expiration,
      "#rcpts": A.recipients,
      "#nid": "notificationId",
    };
    const values: Record<string, unknown> = {
      ":state": stateMap(update, options.addresses),
      ":order": updateOrder(update),
      ":exp": expiry(sentAt),
      ":rcpt": new Set([stored(update.address)]),
      ":nid": id,
    };
    let set = "#r = :state, #exp = if_not_exists(#exp, :exp), #nid = :nid";
    if (sesMessageId !== undefined) {
      names["#pmid"] = "providerMessageId";
      values[":pmid"] = sesMessageId;
      set += ", #pmid = if_not_exists(#pmid, :pmid)";
    }
    try {
      await documents.send(
        new UpdateCommand({
          TableName: options.tableName,
          Key: { id: statusKey(id) },
          UpdateExpression: `SET ${set} ADD #rcpts :rcpt`,
          ConditionExpression: "attribute_not_exists(#r) OR #r.#order < :order",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
        bound(),
      );
      return true;
    } catch (error) {
      // An equal or later event is already recorded: this one is a duplicate or arrived late.
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  return {
    async recordAttempt(attempt) {
      const fields: Record<string, unknown> = {
        notificationId: attempt.id,
        transport: attempt.transport,
        outcome: attempt.outcome,
        [A.expiration]: expiry(attempt.at),
        ...(attempt.outcome === "sent" ? { sentAt: new Date(attempt.at).toISOString() } : {}),
        ...(attempt.messageId !== undefined ? { messageId: attempt.messageId } : {}),
        ...(attempt.providerMessageId !== undefined ? { providerMessageId: attempt.providerMessageId } : {}),
        ...(attempt.code !== undefined ? { code: attempt.code } : {}),
        ...(attempt.reason !== undefined ? { reason: attempt.reason } : {}),
      };
      const names: Record<string, string> = { "#rcpts": A.recipients };
      const values: Record<string, unknown> = {};
      const sets = Object.entries(fields).map(([name, value], i) => {
        names[`#f${i}`] = name;
        values[`:f${i}`] = value;
        return `#f${i} = :f${i}`;
      });
      // A success clears an earlier attempt's failure.
      const removes = (["code", "reason"] as const).filter((name) => !(name in fields));
      removes.forEach((name) => (names[`#rm_${name}`] = name));
      let expression = `SET ${sets.join(", ")}`;
      if (attempt.recipients.length > 0) {
        values[":rcpts"] = new Set(attempt.recipients.map(stored));
        expression += " ADD #rcpts :rcpts";
      } else delete names["#rcpts"];
      if (removes.length > 0) expression += ` REMOVE ${removes.map((name) => `#rm_${name}`).join(", ")}`;
      await documents.send(
        new UpdateCommand({
          TableName: options.tableName,
          Key: { id: statusKey(attempt.id) },
          UpdateExpression: expression,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
        bound(),
      );
      await Promise.all(
        (attempt.updates ?? []).map((update) => putRecipient(attempt.id, update, attempt.at)),
      );
    },

    async applySesEvent(event) {
      // Late feedback for an expired record (a complaint weeks later) is not recorded: the
      // record would come back with this one recipient only.
      if (expiry(event.sentAt) * 1000 <= now()) return false;
      await Promise.all(
        event.updates.map((update) => putRecipient(event.id, update, event.sentAt, event.sesMessageId)),
      );
      return true;
    },

    async read(id) {
      const { Item: item } = await documents.send(
        new GetCommand({ TableName: options.tableName, Key: { id: statusKey(id) }, ConsistentRead: true }),
        bound(),
      );
      // TTL deletes expired items within days, not at once: an expired one is already gone.
      if (!item || typeof item[A.expiration] !== "number" || item[A.expiration] * 1000 <= now()) {
        return undefined;
      }
      return statusFromItem(id, item);
    },
  };
}

const RECIPIENT_FIELDS = [
  "reason",
  "bounceType",
  "bounceSubType",
  "diagnosticCode",
  "complaintType",
  "delayType",
  "source",
] as const;

function statusFromItem(id: string, item: Record<string, unknown>): NotificationStatus {
  const known = new Map<string, RecipientStatus>();
  for (const [name, value] of Object.entries(item)) {
    if (!name.startsWith("r_") || typeof value !== "object" || value === null) continue;
    const map = value as Record<string, unknown>;
    const recipient: RecipientStatus = {
      address: String(map.address),
      state: map.state as RecipientStatus["state"],
      at: String(map.at),
    };
    for (const field of RECIPIENT_FIELDS) if (typeof map[field] === "string") recipient[field] = map[field];
    known.set(recipient.address.toLowerCase(), recipient);
  }
  const listed = item[A.recipients] instanceof Set ? [...(item[A.recipients] as Set<string>)] : [];
  for (const address of listed) {
    if (!known.has(address.toLowerCase())) known.set(address.toLowerCase(), { address, state: "unknown" });
  }
  const text = (name: string) => (typeof item[name] === "string" ? (item[name] as string) : undefined);
  const transport = text("transport");
  const status: NotificationStatus = {
    id,
    expiresAt: new Date((item[A.expiration] as number) * 1000).toISOString(),
    eventsExpected: transport !== "smtp",
    recipients: [...known.values()].sort((a, b) => a.address.localeCompare(b.address)),
  };
  for (const name of [
    "transport",
    "outcome",
    "code",
    "reason",
    "sentAt",
    "messageId",
    "providerMessageId",
  ] as const) {
    const value = text(name);
    if (value !== undefined) status[name] = value;
  }
  return status;
}
