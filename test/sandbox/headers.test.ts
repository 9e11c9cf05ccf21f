import { describe, expect, it } from "vitest";
import { caughtLine, parseSubject } from "../../sandbox/headers.ts";

describe("parseSubject", () => {
  it.each([
    ["Subject: Hello\r\n\r\nbody", "Hello"],
    ["From: a\nSubject: folded\n  line\n\nSubject: not a header", "folded line"],
    ["From: a\n\nSubject: in the body", undefined],
  ])("%j", (raw, subject) => expect(parseSubject(raw).subject).toBe(subject));
});

describe("caughtLine", () => {
  it("prints a caught message with the client's envelope and subject escaped", () => {
    const line = caughtLine({
      envelopeFrom: "a\u001b[2J@example.com",
      envelopeTo: ["b@example.com", "c\u009b31m@example.com"],
      raw: "Subject: hi \u009b2J\u202ethere\r\n\r\nbody",
    });
    expect(line).toBe(
      '[smtp] a\\u001b[2J@example.com -> b@example.com, c\\u009b31m@example.com: "hi \\u009b2J\\u202ethere"\n',
    );
  });
});
