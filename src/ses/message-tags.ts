/**
 * The notification id in SES message tags, reversibly. A tag value holds only
 * [A-Za-z0-9_-] and at most 256 characters, so the id's UTF-8 bytes outside [A-Za-z0-9-]
 * are written `_XX` (uppercase hex; `_` itself is `_5F`): `post.abc123` is `post_2Eabc123`,
 * `post_abc123` is `post_5Fabc123`, `mention:42` is `mention_3A42`, all distinct. An encoding
 * over 256 characters continues in `notification-id-2`, `-3`, ... (a 256-character id of
 * 4-byte characters needs 12 tags; SES allows 50 per message).
 */
import { MESSAGE_TAG_NOTIFICATION_ID } from "../constants.ts";

/** SES's limit on a message tag's value. */
export const TAG_VALUE_MAX = 256;

/**
 * Only letters, digits, "_" and "-" are allowed in SES tag names and values. Here, not in the
 * SES transport: the SMTP transport's chunk uses it too and must not load the SES client.
 */
export function tagValue(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, TAG_VALUE_MAX) || "_";
}

const PLAIN_BYTE = /^[A-Za-z0-9-]$/;
const PLAIN_ID = /^[A-Za-z0-9-]+$/;

/** `_XX` escapes for every byte outside [A-Za-z0-9-]: one token per byte, never split. */
function tokens(id: string): string[] {
  return [...Buffer.from(id, "utf8")].map((byte) => {
    const char = String.fromCharCode(byte);
    return PLAIN_BYTE.test(char) ? char : `_${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  });
}

function continuationName(index: number): string {
  return index === 0 ? MESSAGE_TAG_NOTIFICATION_ID : `${MESSAGE_TAG_NOTIFICATION_ID}-${index + 1}`;
}

/** The tags that carry `id`: `{ "notification-id": "...", "notification-id-2": "..." }`. */
export function notificationIdTags(id: string): Record<string, string> {
  // the common id needs no escape: itself, in one tag
  if (id.length <= TAG_VALUE_MAX && PLAIN_ID.test(id)) return { [MESSAGE_TAG_NOTIFICATION_ID]: id };
  const values: string[] = [""];
  for (const token of tokens(id)) {
    if (values.at(-1)!.length + token.length > TAG_VALUE_MAX) values.push("");
    values[values.length - 1] += token;
  }
  return Object.fromEntries(values.map((value, index) => [continuationName(index), value]));
}

/**
 * The notification id from a message's tags as SES reports them (name -> values), or
 * undefined when there is none or it is not Herald's encoding (then nothing is guessed).
 */
export function notificationIdFromTags(
  tags: Readonly<Record<string, readonly string[]>>,
): string | undefined {
  let encoded = "";
  for (let index = 0; tags[continuationName(index)]?.[0] !== undefined; index++) {
    encoded += tags[continuationName(index)]![0];
  }
  if (encoded === "" || !/^(?:[A-Za-z0-9-]|_[0-9A-F]{2})*$/.test(encoded)) return undefined;
  const bytes = encoded
    .match(/_[0-9A-F]{2}|[A-Za-z0-9-]/g)!
    .map((token) => (token.length === 3 ? Number.parseInt(token.slice(1), 16) : token.charCodeAt(0)));
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}
