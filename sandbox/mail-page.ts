/**
 * The sandbox's mail page: every message the local SMTP server caught and every message the
 * SES emulator stored, readable in a browser. Binds 127.0.0.1 only.
 *
 * Why a page of our own rather than maildev: the sandbox's SMTP server injects faults
 * (a 451 that is retried, a 550 that is dead-lettered) that a mail catcher cannot, and the
 * SES path needs the emulator's messages beside the SMTP ones. The page is read-only.
 */
import { createServer, type Server } from "node:http";
import { simpleParser, type ParsedMail } from "mailparser";
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
  /** Permanent failures on the dead-letter queue, shown under the messages. @default none */
  deadLetters?: () => readonly DeadLetterRecord[];
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4em;text-align:left;vertical-align:top}
iframe{width:100%;height:30em;border:1px solid #ccc}pre{white-space:pre-wrap;background:#f6f6f6;padding:1em}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

/** The reason with its reply code in front, once: a server's reply already starts with it. */
function reasonWithReply(attributes: DeadLetterRecord["attributes"]): string {
  const reason = attributes.Reason ?? "";
  const code = attributes.ResponseCode;
  if (!code || reason.startsWith(`${code} `) || reason.startsWith(`${code}-`)) return reason;
  return `${code} ${reason}`;
}

function deadLetterSection(letters: readonly DeadLetterRecord[]): string {
  if (letters.length === 0) return "";
  const rows = letters
    .map(({ attributes: a, receivedAt }) => {
      return (
        `<tr><td>${escapeHtml(a.EventId ?? "-")}</td><td>${escapeHtml(a.ErrorCode ?? "-")}</td>` +
        `<td>${escapeHtml(reasonWithReply(a))}</td><td>${receivedAt.toISOString()}</td></tr>`
      );
    })
    .join("");
  return (
    `<h2>Dead letters</h2><p>${letters.length} notification(s) failed permanently and went to the dead-letter queue (never retried).</p>` +
    `<table><thead><tr><th>Event id</th><th>Code</th><th>Reason</th><th>Failed</th></tr></thead><tbody>${rows}</tbody></table>`
  );
}

function listPage(
  messages: Array<{ mail: CapturedMail; parsed: ParsedMail }>,
  deadLetters: readonly DeadLetterRecord[],
): string {
  const rows = messages
    .slice()
    .reverse()
    .map(
      ({ mail, parsed }) =>
        `<tr><td><a href="/messages/${encodeURIComponent(mail.id)}">${escapeHtml(parsed.subject ?? "(no subject)")}</a></td>` +
        `<td>${escapeHtml(parsed.from?.text ?? mail.envelopeFrom)}</td><td>${escapeHtml(mail.envelopeTo.join(", "))}</td>` +
        `<td>${mail.via}</td><td>${mail.receivedAt.toISOString()}</td></tr>`,
    )
    .join("");
  return page(
    "Herald sandbox mail",
    `<h1>Herald sandbox mail</h1><p>${messages.length} message(s) caught.</p>` +
      `<table><thead><tr><th>Subject</th><th>From</th><th>To</th><th>Via</th><th>Received</th></tr></thead><tbody>${rows}</tbody></table>` +
      deadLetterSection(deadLetters),
  );
}

function messagePage(mail: CapturedMail, parsed: ParsedMail): string {
  // headerLines keeps each header as sent ("Auto-Submitted: auto-generated"), folded lines included.
  const headers = parsed.headerLines
    .map(({ line }) => {
      const colon = line.indexOf(":");
      return `<tr><th>${escapeHtml(line.slice(0, colon))}</th><td>${escapeHtml(line.slice(colon + 1).trim())}</td></tr>`;
    })
    .join("");
  // The message's HTML is shown in a sandboxed frame: no scripts, no same-origin access.
  const html =
    typeof parsed.html === "string"
      ? `<h2>HTML</h2><iframe title="HTML part" sandbox srcdoc="${escapeHtml(parsed.html)}"></iframe>`
      : "";
  return page(
    parsed.subject ?? "(no subject)",
    `<p><a href="/">&larr; all messages</a> · <a href="/messages/${encodeURIComponent(mail.id)}/raw">${RAW_LABEL[mail.via]}</a></p>` +
      `<h1>${escapeHtml(parsed.subject ?? "(no subject)")}</h1><table>${headers}</table>${html}` +
      `<h2>Text</h2><pre>${escapeHtml(parsed.text ?? "")}</pre>`,
  );
}

/**
 * The raw link's label. The SES emulator keeps what it parsed and exports it again as .eml:
 * headers and encoding are its own, not the bytes Herald sent to the API.
 */
const RAW_LABEL: Record<CapturedMail["via"], string> = {
  smtp: "raw (as received over SMTP)",
  "ses-api": "raw (the SES emulator's re-export, not the bytes Herald sent)",
};

export async function startMailPage(options: MailPageOptions): Promise<MailPage> {
  // Host names this page answers to; set once it listens (no request comes before).
  let ownHosts = new Set<string>();
  const server: Server = createServer((request, response) => {
    // DNS rebinding: a site whose name is made to resolve to 127.0.0.1 would read the page
    // from the browser of whoever runs the sandbox. Only its own names are answered.
    if (!ownHosts.has((request.headers.host ?? "").toLowerCase())) {
      response.writeHead(403, { "content-type": "text/plain; charset=utf-8" });
      response.end("open this page at its 127.0.0.1 or localhost address\n");
      return;
    }
    void (async () => {
      const messages = await options.messages();
      const path = new URL(request.url ?? "/", "http://127.0.0.1").pathname;
      const send = (status: number, type: string, body: string) => {
        response.writeHead(status, {
          "content-type": `${type}; charset=utf-8`,
          "content-security-policy":
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'",
          "x-content-type-options": "nosniff",
        });
        response.end(body);
      };
      if (path === "/") {
        const parsed = await Promise.all(
          messages.map(async (mail) => ({ mail, parsed: await simpleParser(mail.raw) })),
        );
        return send(200, "text/html", listPage(parsed, options.deadLetters?.() ?? []));
      }
      if (path === "/api/messages") {
        return send(200, "application/json", JSON.stringify(messages.map(({ raw: _raw, ...mail }) => mail)));
      }
      const match = /^\/messages\/([^/]+)(\/raw)?$/.exec(path);
      const mail = match ? messages.find((m) => m.id === decodeURIComponent(match[1] ?? "")) : undefined;
      if (!mail) return send(404, "text/plain", "not found\n");
      if (match?.[2]) return send(200, "text/plain", mail.raw);
      return send(200, "text/html", messagePage(mail, await simpleParser(mail.raw)));
    })().catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end("error\n");
    });
  });
  const port = await listenOnLoopback(server, options.port ?? 0);
  ownHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
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
