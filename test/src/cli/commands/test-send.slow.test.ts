// herald test-send as a user runs it: usage errors, and a hostile server's bytes on a terminal.
import { afterEach, describe, expect, it } from "vitest";
import { startRawGreetingServer, type EchoServer } from "../../../helpers/echo-servers.ts";
import { runHerald } from "../../../helpers/run-herald.ts";

let server: EchoServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("herald test-send --to", () => {
  it("is optional: the usage says so and names FeedbackEmail as the default", async () => {
    const run = await runHerald(["test-send", "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: herald test-send \[--to ADDRESS\] /);
    expect(run.stdout).toContain("without --to, to EmailSettings.FeedbackEmail");
  });

  it.each([
    [["--to", ""]],
    [["--to", "   "]],
    [["--to", "not-an-address"]],
    [["--to", "a@b.com\nBcc: c@d.com"]],
  ])("%j is a usage error: exit 2, nothing sent", async (args) => {
    const run = await runHerald(["test-send", ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^herald test-send: --to: /);
    expect(run.stdout).toBe("");
  });
});

describe("herald test-send output", () => {
  it("escapes control characters from the server: no terminal escapes, no fake lines", async () => {
    // Clears the screen, moves the cursor home and prints a fake success over it.
    const evil = "\x1b[2J\x1b[H\x1b]0;owned\x07OK: test email accepted by the server\r\u202e";
    server = await startRawGreetingServer(`220 ${evil}\r\n`, [`250-raw.test ${evil}`, `250 X-EVIL ${evil}`]);
    const run = await runHerald(["test-send", "--to", "a@example.com"], {
      MM_EMAILSETTINGS_SMTPSERVER: "127.0.0.1",
      MM_EMAILSETTINGS_SMTPPORT: String(server.port),
      MM_EMAILSETTINGS_FEEDBACKEMAIL: "herald@example.com",
      MM_EMAILSETTINGS_SMTPSERVERTIMEOUT: "3",
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAILED at /);
    // Only line feeds of Herald's own, printable text otherwise.
    // eslint-disable-next-line no-control-regex -- looking for control characters
    expect(run.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(run.stdout).toContain(
      "banner: 220 \\u001b[2J\\u001b[H\\u001b]0;owned\\u0007OK: test email accepted",
    );
    expect(run.stdout.split("\n").filter((line) => line.startsWith("OK:"))).toEqual([]);
  });
});
