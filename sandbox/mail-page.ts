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
import { handle, loadAssets } from "./mail-page/routes.ts";
import type { SpamVerdict } from "./mail-page/spam-score.ts";
import type { MailPage, MailPageOptions } from "./mail-page/types.ts";
import { listenOnLoopback } from "./servers/listen.ts";

export type { CapturedMail, MailPage, MailPageOptions } from "./mail-page/types.ts";

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
