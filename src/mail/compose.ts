import MailComposer from "nodemailer/lib/mail-composer";
import { randomUUID } from "node:crypto";
import { convert } from "html-to-text";
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
 * Auto-Submitted and Precedence (so auto-responders stay quiet).
 */
export async function composeMessage(
  settings: HeraldSettings,
  content: MessageContent,
): Promise<OutgoingMessage> {
  const email = settings.EmailSettings;
  const messageId = `<${randomUUID()}@${messageIdDomain(settings)}>`;
  const replyTo = content.replyTo ?? (email.ReplyToAddress || undefined);
  const composer = new MailComposer({
    from: { name: email.FeedbackName, address: email.FeedbackEmail },
    ...(replyTo ? { replyTo } : {}),
    to: content.to,
    ...(content.cc?.length ? { cc: content.cc } : {}),
    ...(content.bcc?.length ? { bcc: content.bcc } : {}),
    subject: content.subject,
    text: content.text ?? (content.html ? htmlToText(content.html) : ""),
    ...(content.html ? { html: content.html } : {}),
    messageId,
    date: new Date(),
    headers: { "Auto-Submitted": "auto-generated", Precedence: "bulk" },
  });
  const node = composer.compile();
  // nodemailer keeps Bcc out of the headers but in the envelope.
  node.keepBcc = false;
  const raw = await node.build();
  const envelope = node.getEnvelope();
  return { from: envelope.from || email.FeedbackEmail, to: envelope.to, raw, messageId };
}

/** The text/plain alternative of an HTML body (links kept as "text [url]"). */
export function htmlToText(html: string): string {
  return convert(html, { wordwrap: 78 });
}
