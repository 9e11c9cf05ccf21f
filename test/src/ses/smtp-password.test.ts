import { describe, expect, it } from "vitest";
import { sesSmtpPassword } from "../../../src/ses/smtp-password.ts";

// DESIGN.md section 3's known answer.
const SECRET = "dhSgJJyAs+2z19oLOVkwBrE6GkdNQD5fL5Dou5Tb";

describe("sesSmtpPassword", () => {
  it("derives the known answer for eu-central-1", () => {
    expect(sesSmtpPassword(SECRET, "eu-central-1")).toBe("BK0hyoUp3vjB+NdwhSiUpkA9oA84fNaqhEKrXZ5PkcX2");
  });

  it("gives a version-4 password (0x04 then a 32-byte HMAC) that depends on the region", () => {
    const west = Buffer.from(sesSmtpPassword(SECRET, "eu-west-1"), "base64");
    expect(west).toHaveLength(33);
    expect(west[0]).toBe(4);
    expect(sesSmtpPassword(SECRET, "eu-west-1")).not.toBe(sesSmtpPassword(SECRET, "eu-central-1"));
    expect(sesSmtpPassword(`${SECRET}x`, "eu-central-1")).not.toBe(sesSmtpPassword(SECRET, "eu-central-1"));
  });

  it.each(["", "EU-WEST-1", "eu-west", "email-smtp.eu-west-1.amazonaws.com"])(
    "refuses the region %j without echoing the secret",
    (region) => {
      expect(() => sesSmtpPassword(SECRET, region)).toThrow(/not an AWS region name/);
      try {
        sesSmtpPassword(SECRET, region);
      } catch (error) {
        expect(String(error)).not.toContain(SECRET);
      }
    },
  );

  it("refuses an empty secret", () => {
    expect(() => sesSmtpPassword("", "eu-west-1")).toThrow(/empty/);
  });
});
