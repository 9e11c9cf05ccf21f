import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMailPage, type CapturedMail, type MailPage } from "../../sandbox/mail-page.ts";
import { composeMessage } from "../../src/mail/compose.ts";
import { loadSettings } from "../../src/settings/load.ts";

describe("the sandbox mail page", () => {
  let page: MailPage;
  const messages: CapturedMail[] = [];

  beforeAll(async () => {
    const { settings } = await loadSettings({ env: {}, ssm: false });
    const message = await composeMessage(settings, {
      to: ["you@example.com"],
      subject: "Deploy <b>finished</b>",
      html: `<p>It <em>worked</em>.</p><script>parent.document.title="owned"</script>`,
    });
    messages.push({
      id: "m1",
      via: "smtp",
      receivedAt: new Date(),
      envelopeFrom: message.from,
      envelopeTo: message.to,
      raw: String(message.raw),
    });
    messages.push({
      id: "s1",
      via: "ses-api",
      receivedAt: new Date(),
      envelopeFrom: message.from,
      envelopeTo: message.to,
      raw: String(message.raw),
    });
    page = await startMailPage({
      messages: async () => messages,
      deadLetters: () => [
        {
          messageId: "d1",
          receivedAt: new Date(),
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
          receivedAt: new Date(),
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

  it("lists caught messages with their subject escaped", async () => {
    const response = await fetch(page.url);
    const body = await response.text();
    expect(page.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(body).toContain("Deploy &#60;b&#62;finished&#60;/b&#62;");
    expect(body).toContain('href="/messages/m1"');
  });

  it("lists the dead letters with their reasons, escaped", async () => {
    const body = await (await fetch(page.url)).text();
    expect(body).toContain("<h2>Dead letters</h2>");
    expect(body).toContain(
      "<td>n-&#60;1&#62;</td><td>EENVELOPE</td><td>550 5.1.1 &#60;x@y&#62; unknown</td>",
    );
    // The reply code once: in front of a reason that lacks it, never doubled.
    expect(body).toContain("<td>n-2</td><td>EMESSAGE</td><td>554 Message rejected</td>");
    expect(body).not.toContain("550 550");
  });

  it("labels the raw message: SMTP's bytes as received, the SES emulator's as its re-export", async () => {
    const smtp = await (await fetch(`${page.url}messages/m1`)).text();
    expect(smtp).toContain('href="/messages/m1/raw">raw (as received over SMTP)</a>');
    const ses = await (await fetch(`${page.url}messages/s1`)).text();
    expect(ses).toContain(
      `href="/messages/s1/raw">raw (the SES emulator's re-export, not the bytes Herald sent)</a>`,
    );
  });

  it("shows one message's headers, text and its HTML in a sandboxed frame", async () => {
    const body = await (await fetch(`${page.url}messages/m1`)).text();
    expect(body).toMatch(/<iframe title="HTML part" sandbox srcdoc="[^"]*&#60;em&#62;worked/);
    expect(body).not.toContain("<script>");
    expect(body).toContain("Auto-Submitted");
    expect(body).toContain("It worked.");
  });

  it("serves the raw message and 404 for an unknown one", async () => {
    expect(await (await fetch(`${page.url}messages/m1/raw`)).text()).toContain("Message-ID:");
    expect((await fetch(`${page.url}messages/nope`)).status).toBe(404);
  });

  // DNS rebinding: a web page's own host name made to resolve to 127.0.0.1 would otherwise
  // read every caught message from the browser of whoever runs the sandbox
  it.each([
    ["evil.example", 403],
    [`evil.example:${0}`, 403],
    ["127.0.0.1:PORT", 200],
    ["localhost:PORT", 200],
  ])("answers a request for host %s with %i", async (host, status) => {
    const answer = await new Promise<number>((resolve, reject) => {
      const sent = request(
        `${page.url}api/messages`,
        { headers: { host: host.replace("PORT", String(page.port)) } },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      sent.once("error", reject);
      sent.end();
    });
    expect(answer).toBe(status);
  });
});
