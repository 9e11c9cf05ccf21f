/** The status store of a runtime: the HERALD_TABLE_NAME table, or none without one. */
import type { Runtime } from "../runtime.ts";
import { statusConfigFrom } from "./record.ts";
import { createStatusStore, type StatusStore } from "./store.ts";

export function openStatusStore(
  runtime: Pick<Runtime, "config" | "env" | "dynamodb">,
  /** epoch ms at which its calls are aborted (the invocation's end less a margin) */
  callsEndAt?: () => number | undefined,
): StatusStore | undefined {
  const tableName = runtime.config.tableName;
  if (tableName === undefined) return undefined;
  return createStatusStore({
    client: runtime.dynamodb(),
    tableName,
    ...statusConfigFrom(runtime.env),
    ...(callsEndAt ? { callsEndAt } : {}),
  });
}
