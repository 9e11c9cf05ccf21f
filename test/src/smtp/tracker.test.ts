import SMTPConnection from "nodemailer/lib/smtp-connection";
import { afterEach, describe, expect, it } from "vitest";
import type { SmtpStage } from "../../../src/smtp/report.ts";
import { ehloAuthMethods, ehloExtensions, StageTracker } from "../../../src/smtp/tracker.ts";
import { startSmtpServer, type TestSmtpServer } from "../../helpers/smtp-servers.ts";

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

describe("StageTracker against nodemailer and a real smtp-server", () => {
  let server: TestSmtpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** One nodemailer session (STARTTLS, login, one message) followed by a tracker. */
  async function trackedSession(port: number): Promise<{ tracker: StageTracker; entered: SmtpStage[] }> {
    const entered: SmtpStage[] = [];
    const tracker = new StageTracker({ onStage: (stage) => entered.push(stage) });
    const connection = new SMTPConnection({
      host: "127.0.0.1",
      port,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
      socketCloseTimeout: 0,
      logger: tracker.logger,
      transactionLog: true,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        connection.once("error", reject);
        connection.connect(() =>
          connection.login({ credentials: { user: "tracker", pass: "tracker-pass" } }, (loginError) =>
            loginError
              ? reject(loginError)
              : connection.send(
                  { from: "a@example.com", to: ["b@example.com"] },
                  "Subject: x\r\n\r\nx\r\n",
                  (error) => (error ? reject(error) : resolve()),
                ),
          ),
        );
      });
    } finally {
      connection.close();
    }
    return { tracker, entered };
  }

  it("after STARTTLS follows the TLS handshake and the EHLO over TLS (AUTH offered only there)", async () => {
    server = await startSmtpServer({
      auth: { username: "tracker", password: "tracker-pass" },
      authAfterStarttls: true,
    });
    const { tracker, entered } = await trackedSession(server.port);
    expect(entered).toEqual(["greeting", "ehlo", "starttls", "tls", "ehlo", "auth", "mail", "rcpt", "data"]);
    expect(tracker.banner).toMatch(/^220 smtp\.herald\.test ESMTP/);
    // the EHLO after TLS: no STARTTLS any more, AUTH now offered
    expect(ehloExtensions(tracker.ehloReply)).not.toContain("STARTTLS");
    expect(ehloAuthMethods(tracker.ehloReply)).toEqual(["PLAIN", "LOGIN"]);
    const timings = tracker.timings();
    expect(Object.keys(timings)).toEqual([
      "connect",
      "greeting",
      "ehlo",
      "starttls",
      "tls",
      "auth",
      "mail",
      "rcpt",
      "data",
    ]);
    for (const ms of Object.values(timings)) expect(ms).toBeGreaterThanOrEqual(0);
  });
});
