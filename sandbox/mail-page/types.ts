/** The mail page's types: what it shows and the options it is started with. */
import type { DeadLetterRecord } from "../servers/dead-letter-queue.ts";
import type { NotificationOutcome } from "./outcomes.ts";
import type { SpamVerdict } from "./spam-score.ts";

export interface CapturedMail {
  /** stable within the run; used in the page's URLs */
  id: string;
  via: "smtp" | "ses-api";
  receivedAt: Date;
  envelopeFrom: string;
  envelopeTo: string[];
  raw: string;
}

export interface MailPage {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface MailPageOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** The messages to show, newest last (read on every request). */
  messages: () => Promise<CapturedMail[]>;
  /** Permanent failures on the dead-letter queue. @default none */
  deadLetters?: () => readonly DeadLetterRecord[];
  /** Each notification event's outcome, as the flow observed it. @default none known */
  outcomes?: () => readonly NotificationOutcome[];
  /** Empties every source of the page (POST /api/clear). @default clearing is refused */
  clear?: () => Promise<void>;
  /** A notification's delivery status record, when one exists. @default none shown */
  statusOf?: (notificationId: string) => Promise<Record<string, unknown> | undefined>;
  /** SpamAssassin's verdict on a raw message. @default `spamassassin -L -t`, once per message */
  spamVerdict?: (raw: string) => Promise<SpamVerdict>;
}
