import { describe, expect, it } from "vitest";
import { parseSubject } from "../../sandbox/headers.ts";

describe("parseSubject", () => {
  it.each([
    ["Subject: Hello\r\n\r\nbody", "Hello"],
    ["From: a\nSubject: folded\n  line\n\nSubject: not a header", "folded line"],
    ["From: a\n\nSubject: in the body", undefined],
  ])("%j", (raw, subject) => expect(parseSubject(raw).subject).toBe(subject));
});
