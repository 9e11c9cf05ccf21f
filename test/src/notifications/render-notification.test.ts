import fc from "fast-check";
import { simpleParser, type ParsedMail } from "mailparser";
import { describe, expect, it } from "vitest";
import {
  listId,
  notificationMessageIdLeft,
  renderNotification,
} from "../../../src/notifications/render-notification.ts";
import type { OutgoingMessage } from "../../../src/mail/message.ts";
import { parseNotificationEvent } from "../../../src/notifications/parse.ts";
import type { Notification } from "../../../src/notifications/schema.ts";
import { defaultSettings } from "../../../src/settings/load.ts";
import type { HeraldSettings } from "../../../src/settings/model.ts";

function settings(change: (s: HeraldSettings) => void = () => {}): HeraldSettings {
  const s = defaultSettings();
  s.EmailSettings.FeedbackName = "Example Chat";
  s.EmailSettings.FeedbackEmail = "notifications@example.com";
  s.EmailSettings.ReplyToAddress = "support@example.com";
  s.ServiceSettings.SiteURL = "https://chat.example.com/team";
  s.TeamSettings.SiteName = "Example";
  change(s);
  return s;
}

const base: Notification = {
  id: "post-1",
  to: ["alice@example.com"],
  subject: "Alice mentioned you",
  html: '<p>Hello <b>Bob</b>, see <a href="https://chat.example.com/p/1">the post</a>.</p>',
};

async function render(notification: Notification, s = settings(), subjectPrefix = false) {
  const message = await renderNotification(s, notification, { subjectPrefix });
  return { message, parsed: await simpleParser(message.raw) };
}

function raw(message: OutgoingMessage): string {
  return message.raw.toString();
}

/** The header block as (name, value) lines, unfolded. */
function headerLines(message: OutgoingMessage): string[] {
  const head = raw(message).split("\r\n\r\n")[0] ?? "";
  return head.replace(/\r\n[ \t]+/g, " ").split("\r\n");
}

function headerNames(message: OutgoingMessage): string[] {
  return headerLines(message).map((line) => line.slice(0, line.indexOf(":")).toLowerCase());
}

function address(parsed: ParsedMail, field: "from" | "to" | "cc" | "replyTo"): string[] {
  const value = parsed[field];
  const list = Array.isArray(value) ? value : value ? [value] : [];
  return list.flatMap((a) => a.value.map((v) => v.address ?? ""));
}

describe("renderNotification", () => {
  it("carries every header a notification needs", async () => {
    const { parsed, message } = await render({
      ...base,
      threadId: "root-1",
      unsubscribeUrl: "https://chat.example.com/unsubscribe?u=bob&t=1",
      category: "mention",
    });
    const h = parsed.headers;
    expect(parsed.from?.value).toEqual([{ name: "Example Chat", address: "notifications@example.com" }]);
    expect(address(parsed, "replyTo")).toEqual(["support@example.com"]);
    expect(parsed.date).toBeInstanceOf(Date);
    expect(parsed.messageId).toBe("<post-1@chat.example.com>");
    expect(h.get("auto-submitted")).toBe("auto-generated");
    expect(h.get("precedence")).toBe("bulk");
    expect(parsed.inReplyTo).toBe("<root-1@chat.example.com>");
    expect(parsed.references).toBe("<root-1@chat.example.com>");
    expect(h.get("list")).toEqual({
      id: { name: "mention.notifications.chat.example.com" },
      unsubscribe: { url: "https://chat.example.com/unsubscribe?u=bob&t=1" },
      "unsubscribe-post": { name: "List-Unsubscribe=One-Click" },
    });
    expect(raw(message)).toContain(
      "\r\nList-Unsubscribe: <https://chat.example.com/unsubscribe?u=bob&t=1>\r\n",
    );
    expect(raw(message)).toContain("\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
    expect(raw(message)).toContain("\r\nList-ID: <mention.notifications.chat.example.com>\r\n");
    expect(parsed.subject).toBe("Alice mentioned you");
    expect(message.tags).toEqual({ "notification-id": "post-1", category: "mention" });
  });

  it("derives the text/plain part from the HTML and keeps the HTML alternative", async () => {
    const { parsed } = await render(base);
    expect(parsed.html).toContain("<b>Bob</b>");
    expect(parsed.text).toContain("Hello Bob, see the post [https://chat.example.com/p/1].");
    expect(raw((await render(base)).message)).toMatch(/Content-Type: multipart\/alternative/);
  });

  it("sends text alone as text/plain, and uses the event's text over a derived one", async () => {
    const textOnly = await render({ id: "t", to: ["a@example.com"], subject: "s", text: "Just text." });
    expect(textOnly.parsed.text?.trim()).toBe("Just text.");
    expect(textOnly.parsed.html).toBe(false);
    const both = await render({ ...base, text: "Own text." });
    expect(both.parsed.text?.trim()).toBe("Own text.");
  });

  it("puts [SiteName] in front of the subject when asked", async () => {
    expect((await render(base, settings(), true)).parsed.subject).toBe("[Example] Alice mentioned you");
    expect((await render(base, settings(), false)).parsed.subject).toBe("Alice mentioned you");
  });

  it("uses the event's Reply-To over ReplyToAddress, and keeps Bcc in the envelope only", async () => {
    const { parsed, message } = await render({
      ...base,
      cc: ["carol@example.com"],
      bcc: ["audit@example.com"],
      replyTo: "alice@example.com",
    });
    expect(address(parsed, "replyTo")).toEqual(["alice@example.com"]);
    expect(address(parsed, "cc")).toEqual(["carol@example.com"]);
    expect(headerNames(message)).not.toContain("bcc");
    expect(raw(message)).not.toContain("audit@example.com");
    expect(message.to).toEqual(["alice@example.com", "carol@example.com", "audit@example.com"]);
    expect(message.from).toBe("notifications@example.com");
  });

  it("gives a notification a stable Message-ID: the id when it is a dot-atom, else a digest", async () => {
    expect(notificationMessageIdLeft("post-1")).toBe("post-1");
    const odd = notificationMessageIdLeft("user:42/post 7");
    expect(odd).toMatch(/^n\.[A-Za-z0-9_-]{32}$/);
    expect(notificationMessageIdLeft("user:42/post 7")).toBe(odd);
    expect(notificationMessageIdLeft("user:42/post 8")).not.toBe(odd);
    const first = await render({ ...base, id: "user:42/post 7" });
    const again = await render({ ...base, id: "user:42/post 7" });
    expect(first.parsed.messageId).toBe(`<${odd}@chat.example.com>`);
    expect(again.parsed.messageId).toBe(first.parsed.messageId);
  });

  it("falls back to the sender's domain without a SiteURL", async () => {
    const s = settings((x) => {
      x.ServiceSettings.SiteURL = "";
    });
    expect((await render(base, s)).parsed.messageId).toBe("<post-1@example.com>");
    expect(listId(s)).toBe("notifications.example.com");
  });
});

describe("header injection", () => {
  const injection = "\r\nBcc: eve@evil.test\r\nX-Injected: yes";
  const expectedHeaders = async () => headerNames((await render(base)).message).sort();

  async function expectNoInjection(message: OutgoingMessage, recipients: string[]) {
    const names = headerNames(message).sort();
    expect(names).toEqual(await expectedHeaders());
    expect(message.to).toEqual(recipients);
    const parsed = await simpleParser(message.raw);
    expect(parsed.headers.has("x-injected")).toBe(false);
    expect(parsed.bcc).toBeUndefined();
    // every header line is free of control characters other than the folding whitespace
    for (const line of headerLines(message)) expect(line).not.toMatch(/(?!\t)\p{Cc}/u);
  }

  it.each([
    ["subject", { ...base, subject: `Hello${injection}` }],
    [
      "subject with NUL, VT and Unicode line separators",
      { ...base, subject: "a\u0000b\u000bc\u2028d\u0085e" },
    ],
  ])("in the %s gives no extra header or recipient", async (_what, notification) => {
    const { message } = await render(notification as Notification);
    await expectNoInjection(message, ["alice@example.com"]);
  });

  it.each<[string, (s: HeraldSettings) => void]>([
    ["FeedbackName", (s) => (s.EmailSettings.FeedbackName = `Chat${injection}`)],
    ["SiteName (subject prefix)", (s) => (s.TeamSettings.SiteName = `Site${injection}`)],
  ])("in %s gives no extra header or recipient", async (_what, change) => {
    const { message, parsed } = await render(base, settings(change), true);
    await expectNoInjection(message, ["alice@example.com"]);
    expect(parsed.subject).not.toMatch(/[\r\n]/);
  });

  it.each([
    ["id", { id: `x${injection}` }],
    ["to", { to: [`alice@example.com${injection}`] }],
    ["cc", { cc: [`carol@example.com${injection}`] }],
    ["bcc", { bcc: [`audit@example.com${injection}`] }],
    ["replyTo", { replyTo: `alice@example.com${injection}` }],
    ["threadId", { threadId: `root${injection}` }],
    ["unsubscribeUrl", { unsubscribeUrl: `https://example.com/u${injection}` }],
    ["category", { category: `mention${injection}` }],
  ])("in %s is refused by the contract before anything is rendered", (field, change) => {
    const result = parseNotificationEvent({ ...base, ...change });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.map((p) => p.field.replace(/\[\d+\]$/, ""))).toContain(field);
  });

  it("never lets any subject add a header or a recipient (property)", async () => {
    const expected = await expectedHeaders();
    await fc.assert(
      fc.asyncProperty(
        fc.string({
          unit: fc.constantFrom("a", " ", "\r", "\n", "\t", "\u0000", ":", "B", "c", "é", "\u2028"),
          minLength: 1,
          maxLength: 60,
        }),
        async (subject) => {
          const message = await renderNotification(settings(), { ...base, subject: `x${subject}` });
          expect(headerNames(message).sort()).toEqual(expected);
          expect(message.to).toEqual(["alice@example.com"]);
        },
      ),
      { numRuns: 100 },
    );
  });
});
