import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { StateLocation } from "./config.ts";
import { DynamoDbStateStore } from "./dynamodb-store.ts";
import { FileStateStore } from "./file-store.ts";
import type { SecurityStateStore } from "./state-store.ts";

/** The store the configuration names; the DynamoDB client comes from the caller (the runtime). */
export function openStateStore(location: StateLocation, dynamodb: () => DynamoDBClient): SecurityStateStore {
  return location.kind === "dynamodb"
    ? new DynamoDbStateStore(dynamodb(), location.tableName)
    : new FileStateStore(location.path);
}
