import { describe, expect, it } from "vitest";
import { isLoopbackHost, isValidEmailAddress, isValidHost, urlHost } from "../../../src/net/hosts.ts";

describe("hosts", () => {
  it.each([
    ["localhost", true],
    ["LOCALHOST.", true],
    ["mail.localhost", true],
    ["127.0.0.1", true],
    ["127.8.9.10", true],
    ["::1", true],
    ["[::1]", true],
    ["10.0.0.1", false],
    ["localhost.example.com", false],
    ["smtp.herald.invalid", false],
  ])("isLoopbackHost(%s) = %s", (host, expected) => expect(isLoopbackHost(host)).toBe(expected));

  it.each([
    ["smtp.example.com", true],
    ["localhost", true],
    ["10.1.2.3", true],
    ["2001:db8::1", true],
    ["-bad.example.com", false],
    ["smtp.example.com:587", false],
    ["smtp://x", false],
    ["", false],
    ["a".repeat(64) + ".com", false],
  ])("isValidHost(%s) = %s", (host, expected) => expect(isValidHost(host)).toBe(expected));

  it.each([
    ["n@example.com", true],
    ["first.last+tag@mail.example.co.uk", true],
    ["n@localhost", false],
    ["Name <n@example.com>", false],
    ["n@@example.com", false],
    [".n@example.com", false],
    ["n@example.com\r\nBcc: x@example.com", false],
  ])("isValidEmailAddress(%j) = %s", (address, expected) =>
    expect(isValidEmailAddress(address)).toBe(expected),
  );

  it.each([
    ["https://chat.example.com/path", "chat.example.com"],
    ["http://[::1]:8065", "::1"],
    ["chat.example.com", undefined],
    ["ftp://x.example.com", undefined],
  ])("urlHost(%s) = %s", (url, host) => expect(urlHost(url)).toBe(host));
});
