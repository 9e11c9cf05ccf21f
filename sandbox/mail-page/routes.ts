/**
 * The mail page's HTTP routes. The page is a shell that loads its script and stylesheet from
 * this origin (the Content-Security-Policy admits no other script, and no inline one); the
 * script reads the JSON routes and polls /api/state for changes. A message's HTML is served
 * on its own route with a policy that runs nothing and loads nothing, in a frame sandboxed
 * without scripts.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { CapturedMail, MailPageOptions } from "./types.ts";
import { spamVerdict, type SpamVerdict } from "./spam-score.ts";
import { parse, summarize, summarizeDeadLetter } from "./summary.ts";

export interface Assets {
  "page.js": string;
  "page.css": string;
}

export async function loadAssets(): Promise<Assets> {
  const read = (name: string) => readFile(new URL(`./assets/${name}`, import.meta.url), "utf8");
  return { "page.js": await read("page.js"), "page.css": await read("page.css") };
}

interface Context {
  options: MailPageOptions;
  assets: Assets;
  own: { hosts: Set<string>; origins: Set<string> };
  spamCache: Map<string, Promise<SpamVerdict>>;
}

/** The page itself: its script from its own origin, nothing inline. */
const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "frame-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";
/**
 * A message's HTML: no script, no request (remote images included), and a sandbox of its own
 * even when opened outside the page's frame. Its inline styles are the message's.
 */
const MESSAGE_POLICY =
  "sandbox allow-same-origin; default-src 'none'; style-src 'unsafe-inline'; img-src data:; " +
  "form-action 'none'; base-uri 'none'; frame-ancestors 'self'";

/**
 * The labels of the raw message. The SES emulator keeps what it parsed and exports it again
 * as .eml: headers (Message-ID, Date) and encoding are its own, not the bytes Herald sent.
 */
export const SOURCE_LABEL: Record<CapturedMail["via"], string> = {
  smtp: "raw (as received over SMTP)",
  "ses-api": "raw (the SES emulator's re-export, not the bytes Herald sent)",
};

const SHELL = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Herald sandbox mail</title><link rel="stylesheet" href="/assets/page.css">
<script src="/assets/page.js" defer></script></head>
<body><noscript>This page needs JavaScript; the raw messages are at /api/state.</noscript></body></html>`;

/** A POST from another site (or a page it framed) is refused: a browser names its origin. */
function sameOrigin(request: IncomingMessage, origins: Set<string>): boolean {
  const site = request.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") return false;
  const origin = request.headers.origin;
  return origin === undefined || origins.has(origin);
}

export async function handle(
  context: Context,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const { options, own } = context;
  const send = (
    status: number,
    type: string,
    body: string | Buffer,
    headers: Record<string, string> = {},
  ) => {
    response.writeHead(status, {
      "content-type": `${type}; charset=utf-8`,
      "content-security-policy": PAGE_POLICY,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "cache-control": "no-store",
      ...headers,
    });
    response.end(request.method === "HEAD" ? undefined : body);
  };
  // DNS rebinding: a site whose name is made to resolve to 127.0.0.1 would read the page
  // from the browser of whoever runs the sandbox. Only its own names are answered.
  if (!own.hosts.has((request.headers.host ?? "").toLowerCase())) {
    return send(403, "text/plain", "open this page at its 127.0.0.1 or localhost address\n");
  }
  const path = new URL(request.url ?? "/", "http://127.0.0.1").pathname;

  if (path === "/api/clear") {
    if (request.method !== "POST") return send(405, "text/plain", "POST only\n", { allow: "POST" });
    if (!sameOrigin(request, own.origins)) {
      return send(403, "text/plain", "refused: clearing is allowed from this page only\n");
    }
    if (!options.clear) return send(501, "text/plain", "this page cannot clear its sources\n");
    await options.clear();
    context.spamCache.clear();
    return send(204, "text/plain", "");
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    return send(405, "text/plain", "GET only\n", { allow: "GET, HEAD" });
  }
  if (path === "/assets/page.js") return send(200, "text/javascript", context.assets["page.js"]);
  if (path === "/assets/page.css") return send(200, "text/css", context.assets["page.css"]);
  if (path === "/" || /^\/messages\/[^/.]+$/.test(path)) return send(200, "text/html", SHELL);

  const messages = await options.messages();
  if (path === "/api/state") {
    const outcomes = options.outcomes?.() ?? [];
    const state = JSON.stringify({
      messages: await Promise.all(messages.map((mail) => summarize(mail, outcomes))),
      deadLetters: (options.deadLetters?.() ?? []).map(summarizeDeadLetter),
    });
    // the script polls: unchanged state is a 304, nothing parsed in the browser
    const etag = `"${createHash("sha256").update(state).digest("base64url").slice(0, 22)}"`;
    if (request.headers["if-none-match"] === etag) {
      response.writeHead(304, { etag });
      return void response.end();
    }
    return send(200, "application/json", state, { etag });
  }

  const match = /^\/(api\/)?messages\/([^/.]+)(\.eml|\/html|\/raw|\/spam)?$/.exec(path);
  const id = match ? decodeURIComponent(match[2] ?? "") : "";
  const mail = match ? messages.find((m) => m.id === id) : undefined;
  if (!match || !mail) return send(404, "text/plain", "not found\n");
  const [, api, , part] = match;
  if (api && part === "/spam") {
    let verdict = context.spamCache.get(mail.id);
    if (!verdict) {
      verdict = (options.spamVerdict ?? spamVerdict)(mail.raw);
      verdict.catch(() => context.spamCache.delete(mail.id));
      context.spamCache.set(mail.id, verdict);
    }
    return send(200, "application/json", JSON.stringify(await verdict));
  }
  if (api) {
    const parsed = await parse(mail);
    const summary = await summarize(mail, options.outcomes?.() ?? []);
    const status =
      summary.notification && options.statusOf ? await options.statusOf(summary.notification.id) : undefined;
    return send(
      200,
      "application/json",
      JSON.stringify({
        ...summary,
        // headerLines keeps each header as sent ("Auto-Submitted: auto-generated"), folded lines included
        headers: parsed.headerLines.map(({ line }) => {
          const colon = line.indexOf(":");
          return [line.slice(0, colon), line.slice(colon + 1).trim()];
        }),
        text: parsed.text ?? "",
        sourceLabel: SOURCE_LABEL[mail.via],
        ...(status ? { status } : {}),
      }),
    );
  }
  if (part === ".eml") {
    return send(200, "message/rfc822", mail.raw, {
      "content-disposition": `attachment; filename="${mail.id}.eml"`,
    });
  }
  if (part === "/raw") return send(200, "text/plain", mail.raw);
  if (part === "/html") {
    const parsed = await parse(mail);
    if (typeof parsed.html !== "string") return send(404, "text/plain", "this message has no HTML part\n");
    return send(200, "text/html", parsed.html, { "content-security-policy": MESSAGE_POLICY });
  }
  return send(404, "text/plain", "not found\n");
}
