import { describe, expect, it } from "vitest";
import { redactSecrets } from "../../../src/smtp/redact.ts";
import { ehloAuthMethods, ehloExtensions, StageTracker } from "../../../src/smtp/tracker.ts";

const EHLO =
  "250-smtp.example.com Nice to meet you\n250-PIPELINING\n250-SIZE 10485760\n250-AUTH PLAIN LOGIN\n250 STARTTLS";

describe("EHLO parsing", () => {
  it("lists extensions with their parameters", () => {
    expect(ehloExtensions(EHLO)).toEqual(["PIPELINING", "SIZE 10485760", "AUTH PLAIN LOGIN", "STARTTLS"]);
  });
  it.each([
    [EHLO, ["PLAIN", "LOGIN"]],
    ["250-x\r\n250 AUTH=LOGIN", ["LOGIN"]],
    ["250 x", []],
    [undefined, []],
  ])("AUTH methods of %j", (reply, methods) => {
    expect(ehloAuthMethods(reply)).toEqual(methods);
  });
});

describe("StageTracker", () => {
  it("follows nodemailer's transaction log through the stages", () => {
    const tracker = new StageTracker();
    const log = tracker.logger;
    log.info({ tnx: "network" }, "%s established to %s:%s", "Connection", "127.0.0.1", 25);
    expect(tracker.stage).toBe("greeting");
    log.debug({ tnx: "server" }, "220 mx.example.com ESMTP");
    expect(tracker.banner).toBe("220 mx.example.com ESMTP");
    expect(tracker.stage).toBe("ehlo");
    log.debug({ tnx: "server" }, "250-first\n250 STARTTLS");
    log.debug({ tnx: "client" }, "STARTTLS");
    expect(tracker.stage).toBe("starttls");
    log.info({ tnx: "smtp" }, "Connection upgraded with STARTTLS");
    log.info({ tnx: "network" }, "Connection upgraded with STARTTLS");
    expect(tracker.stage).toBe("ehlo");
    log.debug({ tnx: "server" }, EHLO);
    expect(tracker.ehloReply).toBe(EHLO);
    for (const [line, stage] of [
      ["AUTH PLAIN /* secret */", "auth"],
      ["MAIL FROM:<a@b.c>", "mail"],
      ["RCPT TO:<d@e.f>", "rcpt"],
      ["DATA", "data"],
    ] as const) {
      log.debug({ tnx: "client" }, line);
      expect(tracker.stage).toBe(stage);
    }
    const timings = tracker.timings();
    expect(Object.keys(timings)).toEqual([
      "connect",
      "greeting",
      "ehlo",
      "starttls",
      "auth",
      "mail",
      "rcpt",
      "data",
    ]);
    for (const ms of Object.values(timings)) expect(ms).toBeGreaterThanOrEqual(0);
  });
});

describe("redactSecrets", () => {
  it("replaces every occurrence, including JSON-escaped ones", () => {
    const secret = 'pa"ss\\word';
    const redacted = redactSecrets({ a: `x ${secret} y`, b: [secret] }, [secret]);
    expect(JSON.stringify(redacted)).not.toContain(JSON.stringify(secret).slice(1, -1));
    expect(redacted.b[0]).toBe("*".repeat(32));
  });
  it("leaves values alone for empty or very short secrets", () => {
    expect(redactSecrets({ a: "abc" }, ["", "ab", undefined])).toEqual({ a: "abc" });
  });
});
