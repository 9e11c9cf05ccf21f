// Each notification id has its own Message-ID: a dot-atom id is used as-is, any other id
// as a digest, and no id used as-is can equal the digest of another.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { notificationMessageIdLeft } from "../../../src/mail/render-notification.ts";

describe("notificationMessageIdLeft", () => {
  it("uses a dot-atom id as-is and digests any other", () => {
    expect(notificationMessageIdLeft("post.abc123")).toBe("post.abc123");
    expect(notificationMessageIdLeft("mention 42")).toMatch(/^n\.[A-Za-z0-9_-]{32}$/);
  });

  it("gives an id spelled like another id's digest a Message-ID of its own", () => {
    const digest = notificationMessageIdLeft("mention 42");
    expect(notificationMessageIdLeft(digest)).not.toBe(digest);
  });

  it("never gives two ids the same left part", () => {
    const id = fc.oneof(
      fc.string({ minLength: 1, maxLength: 40 }),
      fc.stringMatching(/^n\.[A-Za-z0-9_-]{32}$/),
    );
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), id, (a, b) => {
        // b may be spelled exactly like a's digest
        for (const other of [b, notificationMessageIdLeft(a)]) {
          if (other !== a) expect(notificationMessageIdLeft(other)).not.toBe(notificationMessageIdLeft(a));
        }
      }),
    );
  });
});
