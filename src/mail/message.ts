// The message type lives in smtp/ (the lowest layer that carries it); mail/ renders it.
import type { OutgoingMessage } from "../smtp/message.ts";
export type { OutgoingMessage };

/** A message before MIME: what composeParts builds and renderMime (or SES) turns into bytes. */
export interface MessageParts {
  /** the From header (the display name on one line) */
  from: { name: string; address: string };
  replyTo?: string;
  to: string[];
  cc: string[];
  /** blind copies: in the envelope, never in a header */
  bcc: string[];
  /** on one line (control characters are spaces) */
  subject: string;
  /** the text/plain part (derived from the HTML when the content had none) */
  text: string;
  html?: string;
  /** "<left@domain>" */
  messageId: string;
  inReplyTo?: string;
  references?: string[];
  date: Date;
  /** the other header fields (Auto-Submitted, Precedence, List-*), each value on one line */
  headers: Record<string, string>;
}

/** A composed message not rendered to MIME: the envelope, the ids and tags, and its parts. */
export interface ComposedMessage extends Omit<OutgoingMessage, "raw"> {
  parts: MessageParts;
}
