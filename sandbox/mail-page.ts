/**
 * The sandbox's mail page: every message the local SMTP server caught and every message the
 * SES emulator stored, readable in a browser, live. Binds 127.0.0.1 only.
 *
 * Why a page of our own rather than maildev: the sandbox's SMTP server injects faults
 * (a 451 that is retried, a 550 that is dead-lettered) that a mail catcher cannot, the SES
 * path needs the emulator's messages beside the SMTP ones, and each message is shown with
 * the notification event it came from and what became of it.
 *
 * The routes are in mail-page/routes.ts; the page's script and stylesheet in mail-page/assets.
 */
import { createServer, type Server } from "node:http";
import type { NotificationOutcome } from "./mail-page/outcomes.ts";
import { handle, loadAssets } from "./mail-page/routes.ts";
import type { SpamVerdict } from "./mail-page/spam-score.ts";
import type { DeadLetterRecord } from "./servers/dead-letter-queue.ts";
import { listenOnLoopback } from "./servers/listen.ts";

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

export async function startMailPage(options: MailPageOptions): Promise<MailPage> {
  const assets = await loadAssets();
  // Host names this page answers to; set once it listens (no request comes before).
  const own = { hosts: new Set<string>(), origins: new Set<string>() };
  const context = { options, assets, own, spamCache: new Map<string, Promise<SpamVerdict>>() };
  const server: Server = createServer((request, response) => {
    handle(context, request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end("error\n");
    });
  });
  const port = await listenOnLoopback(server, options.port ?? 0);
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
    own.hosts.add(host);
    own.origins.add(`http://${host}`);
  }
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
