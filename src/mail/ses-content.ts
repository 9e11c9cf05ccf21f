/**
 * How a composed message goes to the SES v2 API: as Simple content (SES builds the MIME from
 * the parts and adds the headers: no MailComposer run per message), or as Raw MIME rendered
 * by Herald when one of SES's rules for Simple content would not hold. No SDK import here:
 * the notification pipeline asks before it loads any transport code.
 */
import { subjectNeedsEncodedWords } from "./compose.ts";
import type { ComposedMessage, MessageParts } from "./message.ts";

/** SES v2 MessageHeader: at most 15 of them, names of printable ASCII but ":", 1..126 characters. */
const MAX_HEADERS = 15;
const HEADER_NAME = /^[!-9;-~]{1,126}$/;
/** A header value: printable ASCII and spaces, 1..870 characters. */
export const SIMPLE_HEADER_VALUE_CHARS = 870;
const HEADER_VALUE = new RegExp(`^[ -~]{1,${SIMPLE_HEADER_VALUE_CHARS}}$`);
/** The headers SES sets itself on Simple content: it refuses them in Headers. */
const SET_BY_SES = new Set([
  "bcc",
  "cc",
  "content-disposition",
  "content-type",
  "date",
  "from",
  "message-id",
  "mime-version",
  "reply-to",
  "return-path",
  "subject",
  "to",
]);
/** An address SES takes as it is: printable ASCII (an internationalized one goes Raw, encoded). */
const ASCII_ADDRESS = /^[!-~]+$/;
/** A display name SES can take quoted (a non-ASCII one needs RFC 2047 encoding: Raw). */
const ASCII_PHRASE = /^[ -~]*$/;
/**
 * Quoted-printable writes a byte as at most 3 (and a soft line break every 73): a Simple body
 * up to the limit over this stays under it however SES encodes it.
 */
const WORST_ENCODING_GROWTH = 3.2;

export type SesContentChoice = { content: "simple" } | { content: "raw"; why: string };

/** The header fields given to SES with Simple content, threading included. */
export function simpleHeaders(parts: MessageParts): Array<{ Name: string; Value: string }> {
  const headers = Object.entries(parts.headers).map(([Name, Value]) => ({ Name, Value }));
  if (parts.inReplyTo) headers.push({ Name: "In-Reply-To", Value: parts.inReplyTo });
  if (parts.references?.length) headers.push({ Name: "References", Value: parts.references.join(" ") });
  return headers;
}

/** The From address as SES takes it: `"Name" <address>` (quotes and backslashes escaped). */
export function simpleFromAddress(parts: MessageParts): string {
  const name = parts.from.name.replace(/["\\]/g, "\\$&");
  return name ? `"${name}" <${parts.from.address}>` : parts.from.address;
}

/**
 * Simple content when SES can build this message with every header Herald gives it, else Raw
 * and why: a header SES refuses (over 870 characters, not ASCII, one SES sets itself, more
 * than 15), a non-ASCII address or display name, a subject only encoded-words can fold, a
 * body near the size limit, or an envelope that is not the header recipients (a later round
 * re-sending to some of them).
 */
export function sesContentFor(
  message: ComposedMessage,
  /** the rendered message's limit: a body that could outgrow it goes Raw, measured exactly */
  maxMessageBytes: number,
): SesContentChoice {
  const raw = (why: string): SesContentChoice => ({ content: "raw", why });
  const { parts } = message;
  const headers = simpleHeaders(parts);
  if (headers.length > MAX_HEADERS) return raw(`more than ${MAX_HEADERS} header fields`);
  for (const { Name, Value } of headers) {
    if (!HEADER_NAME.test(Name) || SET_BY_SES.has(Name.toLowerCase())) return raw(`the header name ${Name}`);
    if (!HEADER_VALUE.test(Value)) {
      return raw(`${Name} is not 1..${SIMPLE_HEADER_VALUE_CHARS} printable ASCII characters`);
    }
  }
  const recipients = [...parts.to, ...parts.cc, ...parts.bcc];
  if (recipients.length !== message.to.length || recipients.some((address, i) => address !== message.to[i])) {
    return raw("the envelope is not the header recipients");
  }
  const addresses = [
    message.from,
    parts.from.address,
    ...recipients,
    ...(parts.replyTo ? [parts.replyTo] : []),
  ];
  if (!addresses.every((address) => ASCII_ADDRESS.test(address))) return raw("a non-ASCII address");
  if (!ASCII_PHRASE.test(parts.from.name)) return raw("a non-ASCII display name");
  if (subjectNeedsEncodedWords(parts.subject)) return raw("a subject word too long to fold");
  if (!parts.text && !parts.html) return raw("an empty body");
  const bodyBytes = Buffer.byteLength(parts.text) + Buffer.byteLength(parts.html ?? "");
  if (bodyBytes * WORST_ENCODING_GROWTH > maxMessageBytes) return raw("a body near the message size limit");
  return { content: "simple" };
}
