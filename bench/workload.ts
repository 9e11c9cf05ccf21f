/**
 * The benchmark events rendered by Herald's own renderer: what the baselines send (the same
 * bytes, without Herald's work), and small file helpers.
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { renderNotification } from "../src/notifications/render-notification.ts";
import { parseNotificationEvent } from "../src/notifications/parse.ts";
import { loadSettings } from "../src/settings/load.ts";
import type { RawMessage } from "./raw-smtp-client.ts";

export const PROJECT_ROOT = dirname(import.meta.dirname);
export const HERALD_BIN = join(PROJECT_ROOT, "node_modules/.bin/herald");

/** The events as Herald renders them with these settings: what the baselines send. */
export async function renderedMessages(
  events: Array<Record<string, unknown>>,
  settingsEnv: Record<string, string>,
): Promise<Array<RawMessage & { tags?: Record<string, string> }>> {
  const { settings } = await loadSettings({ env: settingsEnv, ssm: false });
  return Promise.all(
    events.map(async (event) => {
      const parsed = parseNotificationEvent(JSON.stringify(event));
      if (!parsed.ok) throw new Error(`benchmark event is invalid: ${JSON.stringify(parsed.problems)}`);
      const message = await renderNotification(settings, parsed.notification);
      return {
        from: message.from,
        to: message.to,
        raw: message.raw.toString(),
        ...(message.tags ? { tags: message.tags } : {}),
      };
    }),
  );
}

export function writeJson(file: string, value: unknown): string {
  writeFileSync(file, JSON.stringify(value));
  return file;
}
