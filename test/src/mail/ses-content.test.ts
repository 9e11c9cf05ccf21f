// Which messages the SES API takes as Simple content (SES builds the MIME) and which go Raw.
import { describe, expect, it } from "vitest";
import { composeParts } from "../../../src/mail/compose.ts";
import type { ComposedMessage } from "../../../src/mail/message.ts";
import {
  sesContentFor,
  SIMPLE_HEADER_VALUE_CHARS,
  simpleFromAddress,
} from "../../../src/mail/ses-content.ts";
import { NOTIFICATION_LIMITS } from "../../../src/notifications/schema.ts";
import { defaultSettings } from "../../../src/settings/load.ts";

const LIMIT = NOTIFICATION_LIMITS.messageBytes;

async function composed(change: Parameters<typeof composeParts>[1] | object = {}, name = "Example Chat") {
  const settings = defaultSettings();
  settings.EmailSettings.FeedbackName = name;
  settings.EmailSettings.FeedbackEmail = "notifications@example.com";
  return composeParts(settings, {
    to: ["bob@example.com"],
    cc: ["carol@example.com"],
    bcc: ["audit@example.com"],
    subject: "Hello",
    html: "<p>Hi</p>",
    inReplyTo: "<t@chat.example.com>",
    references: ["<t@chat.example.com>"],
    headers: { "List-Id": "<mention.notifications.chat.example.com>" },
    ...change,
  });
}

/** A List-Unsubscribe value of exactly `chars` characters. */
function unsubscribe(chars: number): Record<string, string> {
  const base = "https://chat.example.com/u?t=";
  return { "List-Unsubscribe": `<${base}${"a".repeat(chars - 2 - base.length)}>` };
}

describe("sesContentFor", () => {
  it("takes Simple content when every header fits SES's rules", async () => {
    expect(sesContentFor(await composed(), LIMIT)).toEqual({ content: "simple" });
  });

  it(`a header value of ${SIMPLE_HEADER_VALUE_CHARS} characters is Simple, one of ${SIMPLE_HEADER_VALUE_CHARS + 1} goes Raw`, async () => {
    const fits = await composed({ headers: unsubscribe(SIMPLE_HEADER_VALUE_CHARS) });
    expect(fits.parts.headers["List-Unsubscribe"]).toHaveLength(870);
    expect(sesContentFor(fits, LIMIT)).toEqual({ content: "simple" });
    const over = await composed({ headers: unsubscribe(SIMPLE_HEADER_VALUE_CHARS + 1) });
    expect(sesContentFor(over, LIMIT)).toEqual({
      content: "raw",
      why: "List-Unsubscribe is not 1..870 printable ASCII characters",
    });
  });

  it.each<[string, (message: ComposedMessage) => ComposedMessage]>([
    ["a non-ASCII header value", (m) => withHeader(m, "X-Note", "café")],
    ["a header SES sets itself", (m) => withHeader(m, "Message-ID", "<a@b>")],
    ["more than 15 header fields", (m) => manyHeaders(m, 14)],
    ["an envelope that is not the header recipients", (m) => ({ ...m, to: ["carol@example.com"] })],
    ["a non-ASCII address", (m) => ({ ...m, parts: { ...m.parts, replyTo: "josé@example.com" } })],
    ["a subject word too long to fold", (m) => ({ ...m, parts: { ...m.parts, subject: "x".repeat(998) } })],
    ["an empty body", (m) => ({ ...m, parts: { ...m.parts, text: "", html: "" } })],
    [
      "a body that could outgrow the size limit once encoded",
      (m) => ({ ...m, parts: { ...m.parts, text: "x".repeat(Math.ceil(LIMIT / 3.2) + 1), html: "" } }),
    ],
  ])("goes Raw with %s", async (_why, change) => {
    expect(sesContentFor(change(await composed()), LIMIT).content).toBe("raw");
  });

  it("goes Raw with a non-ASCII display name, which needs RFC 2047 encoding", async () => {
    expect(sesContentFor(await composed({}, "Équipe"), LIMIT)).toEqual({
      content: "raw",
      why: "a non-ASCII display name",
    });
  });

  it("quotes the display name, escaping quotes and backslashes", async () => {
    const { parts } = await composed({}, 'Chat "Prod" \\ EU');
    expect(simpleFromAddress(parts)).toBe('"Chat \\"Prod\\" \\\\ EU" <notifications@example.com>');
  });
});

function withHeader(message: ComposedMessage, name: string, value: string): ComposedMessage {
  return { ...message, parts: { ...message.parts, headers: { ...message.parts.headers, [name]: value } } };
}

function manyHeaders(message: ComposedMessage, count: number): ComposedMessage {
  let result = message;
  for (let i = 0; i < count; i++) result = withHeader(result, `X-Extra-${i}`, "1");
  return result;
}
