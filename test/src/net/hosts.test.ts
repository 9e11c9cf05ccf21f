import { describe, expect, it } from "vitest";
import {
  connectionHost,
  isLoopbackHost,
  isValidEmailAddress,
  isValidHost,
  punycodeHost,
  urlHost,
} from "../../../src/net/hosts.ts";

describe("hosts", () => {
  it.each([
    ["localhost", true],
    ["LocalHost", true],
    [" localhost ", true],
    ["127.0.0.1", true],
    ["127.8.9.10", true],
    ["::1", true],
    ["[::1]", true],
    ["0:0:0:0:0:0:0:1", true],
    ["::ffff:127.0.0.1", true],
    ["[::ffff:127.0.0.1]", true],
    // Names other than localhost itself go through the resolver: they could point anywhere.
    ["mail.localhost", false],
    ["localhost.", false],
    ["127.0.0.1.nip.io", false],
    ["::2", false],
    ["::ffff:10.0.0.1", false],
    ["[127.0.0.1]", false],
    ["10.0.0.1", false],
    ["localhost.example.com", false],
    ["smtp.herald.invalid", false],
  ])("isLoopbackHost(%s) = %s", (host, expected) => expect(isLoopbackHost(host)).toBe(expected));

  it.each([
    ["smtp.example.com", true],
    ["localhost", true],
    ["10.1.2.3", true],
    ["2001:db8::1", true],
    ["[2001:db8::1]", true],
    ["[::1]", true],
    ["[127.0.0.1]", false],
    ["[::1", false],
    ["bücher.example", false],
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
    ["[::1]", "::1"],
    [" ::1 ", "::1"],
    ["[2001:db8::1]", "2001:db8::1"],
    ["[127.0.0.1]", "[127.0.0.1]"],
    ["smtp.example.com", "smtp.example.com"],
  ])("connectionHost(%s) = %s", (host, expected) => expect(connectionHost(host)).toBe(expected));

  it.each([
    ["bücher.example", "xn--bcher-kva.example"],
    ["smtp.bücher.example", "smtp.xn--bcher-kva.example"],
    ["smtp.example.com", undefined],
  ])("punycodeHost(%s) = %s", (host, expected) => expect(punycodeHost(host)).toBe(expected));

  it.each([
    ["https://chat.example.com/path", "chat.example.com"],
    ["http://[::1]:8065", "::1"],
    ["chat.example.com", undefined],
    ["ftp://x.example.com", undefined],
  ])("urlHost(%s) = %s", (url, host) => expect(urlHost(url)).toBe(host));
});
