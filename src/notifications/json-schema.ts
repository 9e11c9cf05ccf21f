/**
 * Writes the event contract as JSON Schema to examples/notification-event.schema.json:
 * `npx node src/notifications/json-schema.ts`. A test fails when the file is out of date.
 */
import { writeFile } from "node:fs/promises";
import { notificationJsonSchema } from "./schema.ts";

export const NOTIFICATION_SCHEMA_FILE = new URL(
  "../../examples/notification-event.schema.json",
  import.meta.url,
);

if (import.meta.main) {
  await writeFile(NOTIFICATION_SCHEMA_FILE, `${JSON.stringify(notificationJsonSchema(), null, 2)}\n`);
  console.log(`wrote ${NOTIFICATION_SCHEMA_FILE.pathname}`);
}
