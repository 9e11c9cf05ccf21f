import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMailPage, type CapturedMail, type MailPage } from "../../sandbox/mail-page.ts";
import { NotificationOutcomes } from "../../sandbox/mail-page/outcomes.ts";
import type { SpamVerdict } from "../../sandbox/mail-page/spam-score.ts";
import { parseSpamReport } from "../../sandbox/mail-page/spam-score.ts";
import { composeMessage } from "../../src/mail/compose.ts";
import { renderNotification } from "../../src/notifications/render-notification.ts";
import { loadSettings } from "../../src/settings/load.ts";

/** A request with the headers a test chooses (fetch would set Host and Origin itself). */
function call(
  url: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sent = request(url, { method: init.method ?? "GET", headers: init.headers ?? {} }, (response) => {
      let body = "";
      response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    sent.once("error", reject);
    sent.end();
  });
}

describe("the sandbox mail page", () => {
  let page: MailPage;
  const messages: CapturedMail[] = [];
  const outcomes = new NotificationOutcomes();
  let cleared = 0;
  let scored = 0;
  const failedAt = new Date("2026-01-02T03:04:05Z");

  beforeAll(async () => {
    const { settings } = await loadSettings({ env: {}, ssm: false });
    const message = await composeMessage(settings, {
      to: ["you@example.com"],
      cc: ["boss@example.com"],
      subject: "Deploy <b>finished</b>",
      html: `<p>It <em>worked</em>.</p><script>parent.document.title="owned"</script>`,
    });
    const notification = await renderNotification(settings, {
      id: "n-mention-1",
      to: ["bob@example.com"],
      subject: "Alice mentioned you",
      text: "hi",
      category: "mention",
    });
    const mail = (id: string, via: CapturedMail["via"], raw: string, to: string[]): CapturedMail => ({
      id,
      via,
      receivedAt: new Date(),
      envelopeFrom: message.from,
      envelopeTo: to,
      raw,
    });
    messages.push(mail("m1", "smtp", String(message.raw), message.to));
    messages.push(mail("s1", "ses-api", String(message.raw), message.to));
    messages.push(mail("n1", "smtp", String(notification.raw), ["bob@example.com"]));
    const event = {
      id: "n-mention-1",
      category: "mention",
      subject: "Alice mentioned you",
      to: ["bob@example.com"],
    };
    outcomes.record(event, "retried");
    outcomes.record(event, "sent");
    page = await startMailPage({
      messages: async () => messages,
      outcomes: () => outcomes.entries,
      statusOf: async (id) => (id === "n-mention-1" ? { status: "delivered" } : undefined),
      spamVerdict: async (): Promise<SpamVerdict> => {
        scored += 1;
        return { installed: true, score: 0.5, rules: [] };
      },
      clear: async () => {
        cleared += 1;
      },
      deadLetters: () => [
        {
          messageId: "d1",
          receivedAt: failedAt,
          body: "{}",
          attributes: {
            EventId: "n-<1>",
            ErrorCode: "EENVELOPE",
            ResponseCode: "550",
            Reason: "550 5.1.1 <x@y> unknown",
          },
        },
        {
          messageId: "d2",
          receivedAt: failedAt,
          body: "{}",
          attributes: {
            EventId: "n-2",
            ErrorCode: "EMESSAGE",
            ResponseCode: "554",
            Reason: "Message rejected",
          },
        },
      ],
    });
  });
  afterAll(async () => {
    await page.close();
  });

  it("serves a shell whose policy admits scripts from its own origin only, none inline", async () => {
    const response = await fetch(page.url);
    const body = await response.text();
    const policy = response.headers.get("content-security-policy") ?? "";
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain("unsafe-inline");
    expect(body).toContain('<script src="/assets/page.js" defer></script>');
    expect(body).not.toMatch(/<script>|<style>/);
    expect((await fetch(`${page.url}assets/page.js`)).headers.get("content-type")).toContain(
      "text/javascript",
    );
  });

  it("lists the messages with To and Cc, and each notification's id, category and outcome", async () => {
    const state = (await (await fetch(`${page.url}api/state`)).json()) as {
      messages: Array<{ id: string; subject: string; cc: string[]; notification?: Record<string, unknown> }>;
    };
    expect(state.messages.map((m) => m.id)).toEqual(["m1", "s1", "n1"]);
    expect(state.messages[0]?.subject).toBe("Deploy <b>finished</b>");
    expect(state.messages[0]?.cc).toEqual(["boss@example.com"]);
    expect(state.messages[0]?.notification).toBeUndefined();
    expect(state.messages[2]?.notification).toMatchObject({
      id: "n-mention-1",
      category: "mention",
      outcome: "retried then sent",
      detail: "retried, then sent",
    });
  });

  it("answers an unchanged state with 304, so polling costs nothing", async () => {
    const first = await fetch(`${page.url}api/state`);
    const etag = first.headers.get("etag") ?? "";
    expect(etag).not.toBe("");
    expect((await fetch(`${page.url}api/state`, { headers: { "if-none-match": etag } })).status).toBe(304);
    messages.push({ ...messages[0]!, id: "m2" });
    try {
      expect((await fetch(`${page.url}api/state`, { headers: { "if-none-match": etag } })).status).toBe(200);
    } finally {
      messages.pop();
    }
  });

  it("lists the dead letters with their reasons, the reply code once", async () => {
    const state = (await (await fetch(`${page.url}api/state`)).json()) as {
      deadLetters: Array<{ eventId: string; reason: string }>;
    };
    expect(state.deadLetters.map((d) => [d.eventId, d.reason])).toEqual([
      ["n-<1>", "550 5.1.1 <x@y> unknown"],
      ["n-2", "554 Message rejected"],
    ]);
  });

  it("labels the source: SMTP's bytes as received, the SES emulator's as its re-export", async () => {
    const smtp = (await (await fetch(`${page.url}api/messages/m1`)).json()) as { sourceLabel: string };
    expect(smtp.sourceLabel).toBe("raw (as received over SMTP)");
    const ses = (await (await fetch(`${page.url}api/messages/s1`)).json()) as { sourceLabel: string };
    expect(ses.sourceLabel).toBe("raw (the SES emulator's re-export, not the bytes Herald sent)");
  });

  it("gives one message's headers, text and delivery status", async () => {
    const detail = (await (await fetch(`${page.url}api/messages/n1`)).json()) as {
      headers: string[][];
      text: string;
      status?: unknown;
    };
    expect(detail.headers.map(([name]) => name?.toLowerCase())).toContain("list-id");
    expect(detail.text.trim()).toBe("hi");
    expect(detail.status).toEqual({ status: "delivered" });
  });

  it("serves a message's HTML under a policy that runs and loads nothing, in a sandbox of its own", async () => {
    const response = await fetch(`${page.url}messages/m1/html`);
    const policy = response.headers.get("content-security-policy") ?? "";
    expect(policy).toMatch(/^sandbox allow-same-origin;/);
    expect(policy).not.toContain("allow-scripts");
    expect(policy).toContain("default-src 'none'");
    expect(await response.text()).toContain("<em>worked</em>");
    expect((await fetch(`${page.url}messages/n1/html`)).status).toBe(404);
  });

  it("downloads a message as .eml and serves its source; 404 for an unknown one", async () => {
    const eml = await fetch(`${page.url}messages/m1.eml`);
    expect(eml.headers.get("content-disposition")).toBe('attachment; filename="m1.eml"');
    expect(eml.headers.get("content-type")).toContain("message/rfc822");
    expect(await eml.text()).toContain("Message-ID:");
    expect(await (await fetch(`${page.url}messages/m1/raw`)).text()).toContain("Message-ID:");
    expect((await fetch(`${page.url}messages/nope/raw`)).status).toBe(404);
    expect((await fetch(`${page.url}api/messages/nope`)).status).toBe(404);
  });

  it("scores a message once, on demand", async () => {
    const before = scored;
    const first = (await (await fetch(`${page.url}api/messages/m1/spam`)).json()) as SpamVerdict;
    await fetch(`${page.url}api/messages/m1/spam`);
    expect(first).toEqual({ installed: true, score: 0.5, rules: [] });
    expect(scored - before).toBe(1);
  });

  it.each([
    ["another origin", { origin: "http://evil.example" }, 403],
    ["another site's fetch", { "sec-fetch-site": "cross-site" }, 403],
    ["a sibling subdomain", { "sec-fetch-site": "same-site", origin: "http://127.0.0.1:PORT" }, 403],
    ["the page itself", { "sec-fetch-site": "same-origin", origin: "http://127.0.0.1:PORT" }, 204],
    ["a command-line client", {}, 204],
  ])("clearing by POST from %s answers %i", async (_from, headers, status) => {
    const before = cleared;
    const answer = await call(`${page.url}api/clear`, {
      method: "POST",
      headers: Object.fromEntries(
        Object.entries(headers).map(([k, v]) => [k, v.replace("PORT", String(page.port))]),
      ),
    });
    expect(answer.status).toBe(status);
    expect(cleared - before).toBe(status === 204 ? 1 : 0);
  });

  it("refuses to clear on GET", async () => {
    expect((await fetch(`${page.url}api/clear`)).status).toBe(405);
  });

  it("reads SpamAssassin's score and the rules that fired", () => {
    const report =
      "X-Spam-Status: No, score=-0.9 required=5.0\n\nContent analysis details:   (-0.9 points, 5.0 required)\n\n" +
      " pts rule name              description\n---- ---------------------- --------------------------------------------------\n" +
      " 0.1 MISSING_MID            Missing Message-Id: header\n-1.0 MAILING_LIST_MULTI     Multiple indicators imply a widely-seen list\n                            manager\n";
    expect(parseSpamReport(report)).toEqual({
      score: -0.9,
      rules: [
        { points: 0.1, name: "MISSING_MID", description: "Missing Message-Id: header" },
        {
          points: -1,
          name: "MAILING_LIST_MULTI",
          description: "Multiple indicators imply a widely-seen list manager",
        },
      ],
    });
  });

  // DNS rebinding: a web page's own host name made to resolve to 127.0.0.1 would otherwise
  // read every caught message from the browser of whoever runs the sandbox
  it.each([
    ["evil.example", 403],
    [`evil.example:${0}`, 403],
    ["127.0.0.1:PORT", 200],
    ["localhost:PORT", 200],
  ])("answers a request for host %s with %i", async (host, status) => {
    const answer = await call(`${page.url}api/state`, {
      headers: { host: host.replace("PORT", String(page.port)) },
    });
    expect(answer.status).toBe(status);
  });
});
