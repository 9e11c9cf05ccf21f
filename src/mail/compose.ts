import { randomUUID } from "node:crypto";
import { emailDomain, urlHost } from "../net/hosts.ts";
import type { HeraldSettings } from "../settings/model.ts";
import type { OutgoingMessage } from "./message.ts";

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
  const longestWord = Math.max(...subject.split(/\s+/).map((word) => word.length));
  if (longestWord <= MAX_FOLDED_WORD) return { subject };
  const { encodeWord } = await import("nodemailer/lib/mime-funcs");
  // Q-encoding writes spaces as "_": the only spaces left separate the encoded-words
  return { prepared: true, value: encodeWord(subject, "Q", 52).split(" ").join("\r\n ") };
}

/** The Message-ID "<left@SiteURL host>" for a dot-atom left part. */
export function messageIdFor(settings: HeraldSettings, left: string): string {
  return `<${left}@${messageIdDomain(settings)}>`;
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
  const email = settings.EmailSettings;
  const messageId = content.messageId ?? messageIdFor(settings, randomUUID());
  const replyTo = content.replyTo ?? (email.ReplyToAddress || undefined);
  const headers: Record<string, string | { prepared: true; value: string }> = {
    "Auto-Submitted": "auto-generated",
    Precedence: "bulk",
  };
  for (const [name, value] of Object.entries(content.headers ?? {})) headers[name] = headerText(value);
  const subject = await subjectHeader(headerText(content.subject));
  if ("value" in subject) headers.Subject = subject;
  const MailComposer = await mailComposer();
  const composer = new MailComposer({
    from: { name: headerText(email.FeedbackName), address: email.FeedbackEmail },
    ...(replyTo ? { replyTo } : {}),
    to: content.to,
    ...(content.cc?.length ? { cc: content.cc } : {}),
    ...(content.bcc?.length ? { bcc: content.bcc } : {}),
    ...("subject" in subject ? subject : {}),
    text: content.text ?? (content.html ? await derivedText(content.html) : ""),
    ...(content.html ? { html: content.html } : {}),
    messageId,
    ...(content.inReplyTo ? { inReplyTo: content.inReplyTo } : {}),
    ...(content.references?.length ? { references: content.references } : {}),
    date: content.date ?? new Date(),
    headers,
  });
  const node = composer.compile();
  // nodemailer keeps Bcc out of the headers but in the envelope.
  node.keepBcc = false;
  const raw = await node.build();
  const envelope = node.getEnvelope();
  const message: OutgoingMessage = {
    from: envelope.from || email.FeedbackEmail,
    to: envelope.to,
    raw,
    messageId,
  };
  if (content.tags && Object.keys(content.tags).length > 0) message.tags = content.tags;
  return message;
}

// Loaded on the first message, not at import: a cold start that sends nothing (or sends
// through a path that renders no MIME here) does not pay for nodemailer. Kept once loaded:
// an import() of a loaded module still costs a module resolution on every message.
let composerClass: Promise<typeof import("nodemailer/lib/mail-composer")>;
let textConverter: Promise<typeof import("./html-to-text.ts")>;

function mailComposer() {
  composerClass ??= import("nodemailer/lib/mail-composer");
  return composerClass.then((module) => module.default);
}

/** The text part of an HTML-only message: html-to-text is loaded only when one needs it. */
async function derivedText(html: string): Promise<string> {
  textConverter ??= import("./html-to-text.ts");
  return (await textConverter).htmlToText(html);
}
