/**
 * Anchor (d') of the SMTP benchmark: what a hand-written script sending Herald's events would
 * do. The same nodemailer pool as anchor (d) (same options, connections and sink), but each
 * message goes to sendMail as the event's fields, so nodemailer composes the MIME itself: the
 * HTML as given, a text part only when the event has one (nodemailer derives none), the list
 * headers as `headers`.
 *
 * Run as a process (its own event loop, like `herald send`):
 *   node bench/nodemailer-compose-client.ts --port P --connections N --messages FILE
 * where FILE holds ComposeInput[]; prints `{"seconds": ..., "cpuMs": ...}` (from the first
 * send to the last reply).
 */
import type { SendMailOptions } from "nodemailer";
import { benchPool } from "./nodemailer-pool-client.ts";
import { runSmtpClientProcess } from "./raw-smtp-client.ts";

/** The event fields a script reads (bench/events.ts writes them). */
export interface ComposeEvent {
  to: string[];
  subject: string;
  html?: string;
  text?: string;
  category?: string;
  unsubscribeUrl?: string;
}

/** One message to compose: the script's constants (its sender) and the event. */
export interface ComposeInput {
  from: { name: string; address: string };
  replyTo?: string;
  /** "notifications.chat.example.com": the List-Id without the category */
  listIdBase: string;
  event: ComposeEvent;
}

/** The sendMail options a hand-written script would write for an event. */
export function composeOptions({ from, replyTo, listIdBase, event }: ComposeInput): SendMailOptions {
  const headers: Record<string, string> = {
    "List-Id": `<${event.category ? `${event.category}.` : ""}${listIdBase}>`,
  };
  if (event.unsubscribeUrl) {
    headers["List-Unsubscribe"] = `<${event.unsubscribeUrl}>`;
    headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click";
  }
  return {
    from,
    ...(replyTo ? { replyTo } : {}),
    to: event.to,
    subject: event.subject,
    ...(event.html !== undefined ? { html: event.html } : {}),
    ...(event.text !== undefined ? { text: event.text } : {}),
    headers,
  };
}

export async function nodemailerComposeSend(
  host: string,
  port: number,
  connections: number,
  inputs: ComposeInput[],
): Promise<void> {
  const pool = benchPool(host, port, connections);
  try {
    await Promise.all(inputs.map((input) => pool.sendMail(composeOptions(input))));
  } finally {
    pool.close();
  }
}

if (import.meta.main) await runSmtpClientProcess(nodemailerComposeSend);
