import { printable } from "../src/cli/format.ts";
import type { CapturedMail } from "./mail-page.ts";

/** The Subject header of a raw message (unfolded; encoded words are left as they are). */
export function parseSubject(raw: string): { subject?: string } {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? "";
  const unfolded = head.replace(/\r?\n[ \t]+/g, " ");
  const subject = /^Subject:[ \t]*(.*)$/im.exec(unfolded)?.[1];
  return subject === undefined ? {} : { subject };
}

/**
 * The line `npm start` prints for each message it catches while serving. Envelope and subject
 * are what an SMTP client sent: escaped, so they cannot move the cursor or fake a line.
 */
export function caughtLine(mail: Pick<CapturedMail, "envelopeFrom" | "envelopeTo" | "raw">): string {
  const subject = parseSubject(mail.raw).subject;
  const shown = subject === undefined ? "(no subject)" : `"${printable(subject)}"`;
  return `[smtp] ${printable(mail.envelopeFrom)} -> ${printable(mail.envelopeTo.join(", "))}: ${shown}\n`;
}
