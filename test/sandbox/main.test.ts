import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parseSubject } from "../../sandbox/headers.ts";
import { projectRoot } from "../helpers/run-herald.ts";

describe("the sandbox (npm start)", () => {
  it("runs the Lambda handlers against its own SMTP server and catches the test email", async () => {
    const run = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        ["sandbox/main.ts", "--once"],
        { cwd: projectRoot, env: { PATH: process.env.PATH, HERALD_SANDBOX_SMTP_PORT: "0" }, timeout: 30_000 },
        (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
      );
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Herald sandbox: SMTP server on 127\.0\.0\.1:\d+/);
    expect(run.stdout).toMatch(/"event":"validate-settings\.valid"/);
    expect(run.stdout).toMatch(
      /\[sandbox smtp\] test@example\.com -> you@example\.com: "\[Herald\] Testing Email Settings"/,
    );
    expect(run.stdout).toMatch(/"event":"test-send\.sent"/);
  });
});

describe("parseSubject", () => {
  it.each([
    ["Subject: Hello\r\n\r\nbody", "Hello"],
    ["From: a\nSubject: folded\n  line\n\nSubject: not a header", "folded line"],
    ["From: a\n\nSubject: in the body", undefined],
  ])("%j", (raw, subject) => expect(parseSubject(raw).subject).toBe(subject));
});
