import { createHash } from "node:crypto";
import { MESSAGE_TAG_CATEGORY } from "../constants.ts";
import { DOT_ATOM, NOTIFICATION_LIMITS, type Notification } from "./schema.ts";
import type { HeraldSettings } from "../settings/model.ts";
import {
  composeParts,
  messageIdDomain,
  messageIdFor,
  prefixedSubject,
  renderMime,
  type MessageContent,
} from "../mail/compose.ts";
import type { ComposedMessage, OutgoingMessage } from "../mail/message.ts";
import { notificationIdTags } from "../ses/message-tags.ts";

export interface RenderNotificationOptions {
  /** put Mattermost's `[SiteName] ` in front of the subject. @default false */
  subjectPrefix?: boolean;
  /** @default now */
  date?: Date;
}

/** The digest form of a Message-ID's left part: "n." and 32 base64url characters. */
const DIGEST_FORM = /^n\.[A-Za-z0-9_-]{32}$/;

/**
 * The Message-ID's left part, stable per notification id: the id itself when it is a
 * dot-atom (so an event whose threadId names it threads under it), else a digest of it;
 * an id that looks like a digest is digested as well, so two ids never share a Message-ID.
 * A redelivered event keeps its Message-ID, which lets mailbox providers drop a copy that
 * an unacknowledged SMTP reply made us send twice.
 */
export function notificationMessageIdLeft(id: string): string {
  // an id spelled like a digest is digested too: the two forms never meet
  if (id.length <= NOTIFICATION_LIMITS.threadIdChars && DOT_ATOM.test(id) && !DIGEST_FORM.test(id)) return id;
  return `n.${createHash("sha256").update(id).digest("base64url").slice(0, 32)}`;
}

/** "mention.notifications.chat.example.com": the category is a dot-atom by the schema. */
export function listId(
  settings: HeraldSettings,
  category?: string,
  /** messageIdDomain(settings), when the caller has it already */
  domain = messageIdDomain(settings),
): string {
  const base = `notifications.${domain}`;
  return category ? `${category}.${base}` : base;
}

/** Render a notification with MailComposer (composeNotification, then renderMime). */
export async function renderNotification(
  settings: HeraldSettings,
  notification: Notification,
  options: RenderNotificationOptions = {},
): Promise<OutgoingMessage> {
  return renderMime(await composeNotification(settings, notification, options));
}

/**
 * A notification's parts, before MIME: the headers every Herald message carries
 * (composeParts), the stable Message-ID, threading (In-Reply-To and References at the
 * SiteURL host), one-click unsubscribe (RFC 8058), and the id and category as SES message tags.
 */
export function composeNotification(
  settings: HeraldSettings,
  notification: Notification,
  options: RenderNotificationOptions = {},
): Promise<ComposedMessage> {
  // the SiteURL host, parsed once for the Message-ID, List-Id and threading
  const domain = messageIdDomain(settings);
  const content: MessageContent = {
    to: notification.to,
    subject: options.subjectPrefix ? prefixedSubject(settings, notification.subject) : notification.subject,
    messageId: messageIdFor(settings, notificationMessageIdLeft(notification.id), domain),
    // RFC 2919: lets readers filter notifications (per category); List-Unsubscribe without it
    // reads as an incomplete mailing list to spam filters.
    headers: { "List-Id": `<${listId(settings, notification.category, domain)}>` },
  };
  if (notification.cc) content.cc = notification.cc;
  if (notification.bcc) content.bcc = notification.bcc;
  if (notification.text !== undefined) content.text = notification.text;
  if (notification.html !== undefined) content.html = notification.html;
  if (notification.replyTo) content.replyTo = notification.replyTo;
  if (options.date) content.date = options.date;
  if (notification.threadId) {
    const thread = messageIdFor(settings, notification.threadId, domain);
    content.inReplyTo = thread;
    content.references = [thread];
  }
  if (notification.unsubscribeUrl) {
    // the schema admits https URLs only; URL() normalizes them (host case, percent-encoding)
    content.headers = {
      ...content.headers,
      "List-Unsubscribe": `<${new URL(notification.unsubscribeUrl).href}>`,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    };
  }
  // SES message tags: the feedback handler maps bounces and complaints back by them. The id
  // is encoded reversibly (a tag value holds [A-Za-z0-9_-] only).
  content.tags = notificationIdTags(notification.id);
  if (notification.category) content.tags[MESSAGE_TAG_CATEGORY] = notification.category;
  return composeParts(settings, content);
}
