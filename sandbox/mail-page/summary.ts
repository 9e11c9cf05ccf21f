/**
 * Each caught message as the page's script lists it: parsed once (cached by id), with the
 * notification it came from when Herald sent it.
 */
import { simpleParser, type AddressObject, type ParsedMail } from "mailparser";
import { notificationMessageIdLeft } from "../../src/notifications/render-notification.ts";
import type { CapturedMail } from "./types.ts";
import type { DeadLetterRecord } from "../servers/dead-letter-queue.ts";
import { describeOutcome, finalOutcome, outcomeOf, type NotificationOutcome } from "./outcomes.ts";

export interface MessageSummary {
  id: string;
  via: CapturedMail["via"];
  receivedAt: string;
  subject: string;
  from: string;
  to: string[];
  cc: string[];
  hasHtml: boolean;
  /** outcome: the event's final outcome; outcomes: every delivery's, for the filter */
  notification?: { id: string; category?: string; outcome: string; outcomes: string[]; detail: string };
}

export interface DeadLetterSummary {
  eventId: string;
  errorCode: string;
  reason: string;
  failedAt: string;
}

const parsedCache = new WeakMap<CapturedMail, Promise<ParsedMail>>();

/** The parsed message, parsed once per captured message. */
export function parse(mail: CapturedMail): Promise<ParsedMail> {
  let parsed = parsedCache.get(mail);
  if (!parsed) {
    parsed = simpleParser(mail.raw);
    parsedCache.set(mail, parsed);
  }
  return parsed;
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const list = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return list.flatMap((group) =>
    group.value.map((a) => (a.name ? `${a.name} <${a.address}>` : (a.address ?? ""))),
  );
}

/** "mention" from List-Id <mention.notifications.chat.example.com> (Herald's per-category List-Id). */
function categoryOf(parsed: ParsedMail): string | undefined {
  const listId = parsed.headers.get("list-id");
  const text =
    typeof listId === "object" && listId && "id" in listId ? String(listId.id) : String(listId ?? "");
  return /^<?([\w-]+)\.notifications\./.exec(text)?.[1];
}

export async function summarize(
  mail: CapturedMail,
  outcomes: readonly NotificationOutcome[],
): Promise<MessageSummary> {
  const parsed = await parse(mail);
  const subject = parsed.subject ?? "(no subject)";
  const messageIdLeft = /^<?([^@>]+)@/.exec(parsed.messageId ?? "")?.[1];
  const summary: MessageSummary = {
    id: mail.id,
    via: mail.via,
    receivedAt: mail.receivedAt.toISOString(),
    subject,
    from: parsed.from?.text ?? mail.envelopeFrom,
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    hasHtml: typeof parsed.html === "string",
  };
  if (summary.to.length === 0) summary.to = mail.envelopeTo;
  const entry = outcomeOf(
    outcomes,
    mail,
    { subject, ...(messageIdLeft ? { messageIdLeft } : {}) },
    notificationMessageIdLeft,
  );
  if (entry) {
    summary.notification = {
      id: entry.id,
      ...(entry.category ? { category: entry.category } : {}),
      outcome: finalOutcome(entry),
      outcomes: [...new Set([finalOutcome(entry), ...entry.deliveries.map((d) => d.outcome)])],
      detail: describeOutcome(entry),
    };
  } else if (parsed.headers.has("list-id") && messageIdLeft && !messageIdLeft.startsWith("n.")) {
    // a notification sent outside the flow (herald send): its id is its Message-ID's left part
    const category = categoryOf(parsed);
    summary.notification = {
      id: messageIdLeft,
      ...(category ? { category } : {}),
      outcome: "sent",
      outcomes: ["sent"],
      detail: "sent (caught by the sandbox)",
    };
  }
  return summary;
}

/** The reason with its reply code in front, once: a server's reply already starts with it. */
export function reasonWithReply(attributes: DeadLetterRecord["attributes"]): string {
  const reason = attributes.Reason ?? "";
  const code = attributes.ResponseCode;
  if (!code || reason.startsWith(`${code} `) || reason.startsWith(`${code}-`)) return reason;
  return `${code} ${reason}`;
}

export function summarizeDeadLetter({ attributes, receivedAt }: DeadLetterRecord): DeadLetterSummary {
  return {
    eventId: attributes.EventId ?? "-",
    errorCode: attributes.ErrorCode ?? "-",
    reason: reasonWithReply(attributes),
    failedAt: receivedAt.toISOString(),
  };
}
