import { MASKED_SECRET } from "../constants.ts";

/**
 * Replace every occurrence of a secret in a JSON-shaped value. A last line of defence for
 * reports built from text a server or library wrote: secrets are never put there on purpose.
 * Secrets shorter than 4 characters are not searched for (they would mangle ordinary text).
 */
export function redactSecrets<T>(value: T, secrets: Array<string | undefined>): T {
  const needles = secrets.filter((s): s is string => typeof s === "string" && s.length >= 4);
  if (needles.length === 0) return value;
  let text = JSON.stringify(value);
  if (text === undefined) return value;
  for (const needle of needles) {
    // Compare in JSON-escaped form so quotes and backslashes in a password match too.
    const escaped = JSON.stringify(needle).slice(1, -1);
    text = text.split(escaped).join(MASKED_SECRET);
  }
  return JSON.parse(text) as T;
}
