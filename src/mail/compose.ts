import { randomUUID } from "node:crypto";
import { emailDomain, urlHost } from "../net/hosts.ts";
import type { HeraldSettings } from "../settings/model.ts";
import type { ComposedMessage, MessageParts, OutgoingMessage } from "./message.ts";

export interface MessageContent {
  to: string[];
  cc?: string[];
  bcc?: string[];
  subject: string;
  /** the text/plain part. @default derived from `html` with html-to-text */
  text?: string;
  html?: string;
  /** Reply-To; @default ReplyToAddress */
  replyTo?: string;
  /** the Message-ID, "<left@domain>". @default "<random uuid@messageIdDomain>" */
  messageId?: string;
  /** threading: the Message-ID this one answers ("<...>") */
  inReplyTo?: string;
  /** threading: the Message-IDs of the thread ("<...>") */
  references?: string[];
  /** more header fields (List-Unsubscribe, ...); control characters become spaces */
  headers?: Record<string, string>;
  /** SES message tags, carried on the OutgoingMessage */
  tags?: Record<string, string>;
  /** @default now */
  date?: Date;
}

// C0/C1 control characters and Unicode line separators: never part of a header value.
const HEADER_UNSAFE = /[\p{Cc}\u2028\u2029]+/gu;

/** A header value on one line: control characters (CR, LF, NUL, tabs) become single spaces. */
export function headerText(value: string): string {
  return value.replace(HEADER_UNSAFE, " ").trim();
}

/** RFC 5322 2.1.1: at most 998 characters a line; a folded header line is a space and a word. */
const MAX_FOLDED_WORD = 998 - 1;

/**
 * The Subject header: as nodemailer writes it, unless one word is too long to fold onto a
 * line of its own; then as RFC 2047 encoded-words, which split anywhere and fold between.
 */
async function subjectHeader(
  subject: string,
): Promise<{ subject: string } | { prepared: true; value: string }> {
  if (!subjectNeedsEncodedWords(subject)) return { subject };
  const { encodeWord } = await import("nodemailer/lib/mime-funcs");
  // Q-encoding writes spaces as "_": the only spaces left separate the encoded-words
  return { prepared: true, value: encodeWord(subject, "Q", 52).split(" ").join("\r\n ") };
}

/** The Message-ID "<left@SiteURL host>" for a dot-atom left part. */
export function messageIdFor(
  settings: HeraldSettings,
  left: string,
  /** messageIdDomain(settings), when the caller has it already */
  domain = messageIdDomain(settings),
): string {
  return `<${left}@${domain}>`;
}

/** The domain of generated Message-IDs: the SiteURL host, else the sender's domain. */
export function messageIdDomain(settings: HeraldSettings): string {
  return (
    urlHost(settings.ServiceSettings.SiteURL) ||
    emailDomain(settings.EmailSettings.FeedbackEmail) ||
    "localhost"
  );
}

/** The subject with Mattermost's `[SiteName]` prefix. */
export function prefixedSubject(settings: HeraldSettings, subject: string): string {
  return `[${settings.TeamSettings.SiteName}] ${subject}`;
}

/**
 * Build the raw RFC 5322 message with the headers every Herald email carries: From
 * `"FeedbackName" <FeedbackEmail>`, Reply-To, Date, Message-ID at the SiteURL host,
 * Auto-Submitted and Precedence (so auto-responders stay quiet). Subject, display name and
 * extra header values pass through `headerText`, so no control character reaches a header.
 */
export async function composeMessage(
  settings: HeraldSettings,
  content: MessageContent,
): Promise<OutgoingMessage> {
  return renderMime(await composeParts(settings, content));
}

/**
 * The message before MIME: every header value on one line, the text part derived from the
 * HTML when the content has none. renderMime turns it into bytes; the SES API can take it as
 * Simple content instead.
 */
export async function composeParts(
  settings: HeraldSettings,
  content: MessageContent,
): Promise<ComposedMessage> {
  const email = settings.EmailSettings;
  const messageId = content.messageId ?? messageIdFor(settings, randomUUID());
  const replyTo = content.replyTo ?? (email.ReplyToAddress || undefined);
  const headers: Record<string, string> = {
    "Auto-Submitted": "auto-generated",
    Precedence: "bulk",
  };
  for (const [name, value] of Object.entries(content.headers ?? {})) headers[name] = headerText(value);
  const parts: MessageParts = {
    from: { name: headerText(email.FeedbackName), address: email.FeedbackEmail },
    to: content.to,
    cc: content.cc ?? [],
    bcc: content.bcc ?? [],
    subject: headerText(content.subject),
    text: content.text ?? (content.html ? await derivedText(content.html) : ""),
    messageId,
    date: content.date ?? new Date(),
    headers,
  };
  if (replyTo) parts.replyTo = replyTo;
  if (content.html) parts.html = content.html;
  if (content.inReplyTo) parts.inReplyTo = content.inReplyTo;
  if (content.references?.length) parts.references = content.references;
  const message: ComposedMessage = {
    from: email.FeedbackEmail,
    to: [...parts.to, ...parts.cc, ...parts.bcc],
    messageId,
    parts,
  };
  if (content.tags && Object.keys(content.tags).length > 0) message.tags = content.tags;
  return message;
}

/** The message's MIME bytes, built by nodemailer's MailComposer (loaded on the first call). */
export async function renderMime(composed: ComposedMessage): Promise<OutgoingMessage> {
  const { parts } = composed;
  const headers: Record<string, string | { prepared: true; value: string }> = { ...parts.headers };
  const subject = await subjectHeader(parts.subject);
  if ("value" in subject) headers.Subject = subject;
  // Loaded on the first message, not at import: a cold start that sends nothing (or sends
  // through a path that renders no MIME here) does not pay for nodemailer.
  const { default: MailComposer } = await (mailComposer ??= import("nodemailer/lib/mail-composer"));
  const composer = new MailComposer({
    from: parts.from,
    ...(parts.replyTo ? { replyTo: parts.replyTo } : {}),
    to: parts.to,
    ...(parts.cc.length ? { cc: parts.cc } : {}),
    ...(parts.bcc.length ? { bcc: parts.bcc } : {}),
    ...("subject" in subject ? subject : {}),
    text: parts.text,
    ...(parts.html ? { html: parts.html } : {}),
    messageId: parts.messageId,
    ...(parts.inReplyTo ? { inReplyTo: parts.inReplyTo } : {}),
    ...(parts.references?.length ? { references: parts.references } : {}),
    date: parts.date,
    headers,
  });
  const node = composer.compile();
  // nodemailer keeps Bcc out of the headers but in the envelope.
  node.keepBcc = false;
  const raw = await node.build();
  const envelope = node.getEnvelope();
  const message: OutgoingMessage = {
    from: envelope.from || composed.from,
    to: envelope.to,
    raw,
    messageId: composed.messageId,
  };
  if (composed.tags) message.tags = composed.tags;
  return message;
}

/** Whether a subject has a word too long to fold, which only RFC 2047 encoded-words can carry. */
export function subjectNeedsEncodedWords(subject: string): boolean {
  return Math.max(...subject.split(/\s+/).map((word) => word.length)) > MAX_FOLDED_WORD;
}

// The lazily loaded modules, kept: a repeated import() goes through the module loader each
// time (measured: 5% of the SES API path's CPU per message).
let mailComposer: Promise<typeof import("nodemailer/lib/mail-composer")> | undefined;
let htmlToTextModule: Promise<typeof import("./html-to-text.ts")> | undefined;

/** The text part of an HTML-only message: html-to-text is loaded only when one needs it. */
async function derivedText(html: string): Promise<string> {
  const { htmlToText } = await (htmlToTextModule ??= import("./html-to-text.ts"));
  return htmlToText(html);
}
