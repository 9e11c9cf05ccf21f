// One address rule (src/net/hosts.ts) for the three places that check addresses: the
// notification event schema, the settings and CLI (isValidEmailAddress), and the CDK props
// (lib/private/validate.ts). Every valid IDNA domain is accepted, in A-label or U-label form.
import { describe, expect, it } from "vitest";
import { isEmailAddress } from "../../../lib/private/validate.ts";
import { renderNotification } from "../../../src/mail/render-notification.ts";
import { isValidEmailAddress } from "../../../src/net/hosts.ts";
import { parseNotificationEvent } from "../../../src/notifications/parse.ts";
import { defaultSettings } from "../../../src/settings/load.ts";

const inEvent = (address: string) =>
  parseNotificationEvent(JSON.stringify({ id: "a", to: [address], subject: "s", text: "t" })).ok;

const RULES: Array<[string, (address: string) => boolean]> = [
  ["src/net/hosts.ts isValidEmailAddress", isValidEmailAddress],
  ["lib/private/validate.ts isEmailAddress", isEmailAddress],
  ["the notification schema", inEvent],
];

const VALID = [
  "n@example.com",
  "first.last+tag@mail.example.co.uk",
  "user@example.xn--p1ai",
  "user@xn--e1afmkfd.xn--p1ai",
  "user@пример.рф",
  "user@bücher.example",
  "o'brien@example.com",
  "a!#$%&*/=?^`{|}~-@example.com",
];

const INVALID = [
  "n@localhost",
  "Name <n@example.com>",
  "n@@example.com",
  ".n@example.com",
  "n.@example.com",
  "a..b@example.com",
  "n@example.com\r\nBcc: x@example.com",
  "n@example.xn--zz",
  "n@example.xn--",
  "n@-bad.example.com",
  "n@example..com",
  "n@example.com.",
  "n@1.2.3.4",
  "n@example.123",
  "n@a%41.com",
  "n@exa mple.com",
  "ü@example.com",
  `${"a".repeat(65)}@example.com`,
  `n@${"a".repeat(64)}.com`,
];

describe.each(RULES)("%s", (_name, rule) => {
  it.each(VALID)("accepts %j", (address) => expect(rule(address)).toBe(true));
  it.each(INVALID)("refuses %j", (address) => expect(rule(address)).toBe(false));
});

it("sends to an internationalized domain in its ASCII form (no SMTPUTF8 needed, as SES requires)", async () => {
  const parsed = parseNotificationEvent(
    JSON.stringify({ id: "a", to: ["user@пример.рф"], subject: "s", text: "t" }),
  );
  if (!parsed.ok) throw new Error("the event was refused");
  const message = await renderNotification(defaultSettings(), parsed.notification);
  expect(message.to).toEqual(["user@xn--e1afmkfd.xn--p1ai"]);
  expect(String(message.raw)).toMatch(/^To: user@xn--e1afmkfd\.xn--p1ai\r$/m);
});
