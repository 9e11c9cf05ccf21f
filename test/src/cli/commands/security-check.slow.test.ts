// herald security-check as a user runs it: the installed binary, in its own process, against a
// loopback feed, a loopback SMTP server and a state file or a dynalite table. Two processes at
// once must still email each administrator each bulletin exactly once.
import { simpleParser } from "mailparser";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { formatSummary } from "../../../../src/cli/commands/security-check.ts";
import type { SecurityCheckSummary } from "../../../../src/operations/security-check.ts";
import { startDynalite, type TestDynamo } from "../../../../sandbox/servers/dynalite.ts";
import { startFeedServer, type TestFeedServer } from "../../../../sandbox/servers/feed.ts";
import { runHerald } from "../../../helpers/run-herald.ts";
import { startSmtpServer, type TestSmtpServer } from "../../../helpers/smtp-servers.ts";

const ADMINS = ["ops@example.com", "sec@example.com", "cto@example.com"];

let dynamo: TestDynamo;
let dir: string;
let feed: TestFeedServer;
let smtp: TestSmtpServer;
beforeAll(async () => {
  dynamo = await startDynalite();
  dir = await mkdtemp(join(tmpdir(), "herald-cli-security-"));
});
afterAll(async () => {
  await dynamo.close();
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await feed?.close();
  await smtp?.close();
});

async function servers(): Promise<Record<string, string>> {
  feed = await startFeedServer({
    bulletins: [
      { id: "MMSA-1", applies_to_version: "9.11.2" },
      { id: "MMSA-2", applies_to_version: "9.11.x" },
      { id: "MMSA-3", applies_to_version: "10.0.0" },
    ],
    bodies: { "MMSA-1": "<h1>One</h1>", "MMSA-2": "<h1>Two</h1>", "MMSA-3": "<h1>Three</h1>" },
  });
  smtp = await startSmtpServer({ starttls: false });
  return {
    MM_EMAILSETTINGS_SMTPSERVER: "127.0.0.1",
    MM_EMAILSETTINGS_SMTPPORT: String(smtp.port),
    HERALD_SECURITY_FEED_URL: feed.url,
    HERALD_PRODUCT_VERSION: "9.11.2",
    HERALD_ADMIN_EMAILS: ADMINS.join(","),
  };
}

/** "admin bulletin" for every message the SMTP server accepted. */
async function deliveries(): Promise<string[]> {
  const list = await Promise.all(
    smtp.messages.map(
      async (m) => `${m.to.join(",")} ${/<h1>(\w+)/.exec(String((await simpleParser(m.raw)).html))?.[1]}`,
    ),
  );
  return list.sort();
}

const everyPairOnce = ADMINS.flatMap((admin) => [`${admin} One`, `${admin} Two`]).sort();

describe("herald security-check", () => {
  it("sends each applicable bulletin once per administrator; a second run sends nothing", async () => {
    const env = await servers();
    const state = join(dir, "s.json");
    const first = await runHerald(["security-check", "--state", state], env);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(
      "security check: 3 bulletin(s) listed, 2 for this version, 6 email(s) sent, 0 already sent or in progress\n",
    );
    expect(await deliveries()).toEqual(everyPairOnce);

    const second = await runHerald(["security-check", "--state", state, "--json"], env);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual({ checked: 3, applicable: 2, sent: 0, skipped: 6, errors: [] });
    expect(smtp.messages).toHaveLength(6);
  });

  it("takes --feed-url, --product-version and --admins over the variables", async () => {
    const env = await servers();
    const run = await runHerald(
      [
        "security-check",
        "--state",
        join(dir, "flags.json"),
        "--feed-url",
        feed.url,
        "--product-version",
        "10.0.0",
        "--admins",
        "boss@example.com",
        "--json",
      ],
      { ...env, HERALD_SECURITY_FEED_URL: "http://127.0.0.1:9/unused", HERALD_ADMIN_EMAILS: "" },
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ applicable: 1, sent: 1 });
    expect(await deliveries()).toEqual(["boss@example.com Three"]);
    expect(feed.requests[0]?.query.b).toBe("10.0.0");
  });

  it("exits 1 with the error summary when the feed fails, and 2 on bad configuration", async () => {
    const env = await servers();
    feed.setFault("/security", { kind: "status", status: 500 });
    const failed = await runHerald(["security-check", "--state", join(dir, "fail.json")], env);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/1 error\(s\):\n {2}\[feed\] EFEEDSTATUS: GET .*\/security answered 500/);

    const usage = await runHerald(
      ["security-check", "--state", join(dir, "u.json"), "--admins", "nobody"],
      env,
    );
    expect(usage.code).toBe(2);
    expect(usage.stdout).toMatch(/\[config\] --admins: "nobody" is not an email address/);

    const noState = await runHerald(["security-check"], env);
    expect(noState.code).toBe(2);
    expect(noState.stdout).toMatch(/HERALD_TABLE_NAME: .*pass --state FILE/);

    const unknown = await runHerald(["security-check", "--nope"], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--nope/);
  });

  it("prints its help", async () => {
    const help = await runHerald(["security-check", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: herald security-check \[--state FILE\]/);
  });

  it("says why it skipped when the alerts are disabled", async () => {
    const env = await servers();
    const run = await runHerald(["security-check", "--json"], {
      ...env,
      MM_EMAILSETTINGS_ENABLESECURITYFIXALERT: "false",
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      sent: 0,
      skippedReason: "EnableSecurityFixAlert is false",
    });
    expect(feed.requests).toHaveLength(0);
  });
});

describe.each([
  ["a state file", async () => ({ args: ["--state", join(dir, `race-${Date.now()}.json`)], env: {} })],
  ["the DynamoDB table", async () => ({ args: [] as string[], env: dynamo.env(await dynamo.createTable()) })],
])("two herald security-check processes at once, with %s", (_name, stateFor) => {
  it("email each administrator each bulletin exactly once", async () => {
    const env = await servers();
    const state = await stateFor();
    // Both processes get the list at the same moment, so they race for the same pairs.
    feed.holdListUntil(2);
    const runs = await Promise.all(
      [0, 1].map(() => runHerald(["security-check", "--json", ...state.args], { ...env, ...state.env })),
    );
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    const summaries = runs.map((run) => JSON.parse(run.stdout) as SecurityCheckSummary);
    expect(await deliveries()).toEqual(everyPairOnce);
    expect(summaries.map((s) => s.sent).reduce((a, b) => a + b)).toBe(6);
    expect(summaries.map((s) => s.sent + s.skipped)).toEqual([6, 6]);
    // Both asked the feed with the same (stored, generated) installation id.
    const ids = feed.requests.filter((r) => r.path === "/security").map((r) => r.query.id);
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(ids[0]);
  });
});

describe("formatSummary", () => {
  it("escapes control characters in what a server said (an SMTP reply to a send)", () => {
    const text = formatSummary({
      checked: 1,
      applicable: 1,
      sent: 0,
      skipped: 0,
      errors: [
        {
          stage: "send",
          bulletin: "MMSA-1",
          admin: "ops@example.com",
          message: "550 \u001b[2Jno\r\nfaked: line",
        },
      ],
    } as SecurityCheckSummary);
    expect(text).not.toContain("\u001b");
    expect(text).not.toContain("\r");
    expect(text).toContain("550 \\u001b[2Jno\\r\\nfaked: line");
    expect(text.trimEnd().split("\n")).toHaveLength(3);
  });

  it("says how many bulletins the per-run cap left for the next runs", () => {
    const text = formatSummary({
      checked: 40,
      applicable: 40,
      sent: 20,
      skipped: 0,
      deferred: 30,
      errors: [],
    });
    expect(text).toContain("30 bulletin(s) left for the next runs (HERALD_SECURITY_MAX_BULLETINS)");
  });
});
