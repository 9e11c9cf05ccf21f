// The security-alert check against a loopback feed, a loopback SMTP server (through the real
// pooled SMTP adapter) and both state stores (dynalite, a temporary file).
import { simpleParser } from "mailparser";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSmtpTransport } from "../../../src/mail/smtp-transport.ts";
import type { MailTransport } from "../../../src/mail/transport.ts";
import {
  runSecurityCheck,
  type CheckLogger,
  type SecurityCheckInput,
  type SecurityCheckSummary,
} from "../../../src/operations/security-check.ts";
import { parseSecurityCheckConfig, type StateLocation } from "../../../src/security/config.ts";
import { securityCheckMetrics } from "../../../src/security/metrics.ts";
import { openStateStore } from "../../../src/security/open-store.ts";
import { loadSettings } from "../../../src/settings/load.ts";
import { startDynalite, type TestDynamo } from "../../../sandbox/servers/dynalite.ts";
import { startFeedServer, type FeedEntry, type TestFeedServer } from "../../../sandbox/servers/feed.ts";
import { startSmtpServer, type TestSmtpServer } from "../../helpers/smtp-servers.ts";

const ADMINS = ["ops@example.com", "sec@example.com"];
const BULLETINS: FeedEntry[] = [
  { id: "MMSA-exact", applies_to_version: "9.11.2" },
  { id: "MMSA-range", applies_to_version: ">=9.0.0 <9.11.3" },
  { id: "MMSA-other", applies_to_version: "8.1.0" },
  { id: "MMSA-fixed", applies_to_version: ">=9.11.3" },
];
const BODIES = {
  "MMSA-exact": "<h1>Exact</h1><p>Upgrade to 9.11.3.</p>",
  "MMSA-range": "<h1>Range</h1><p>Affects 9.0 to 9.11.2.</p>",
  "MMSA-other": "<p>not for us</p>",
  "MMSA-fixed": "<p>not for us either</p>",
};

let dynamo: TestDynamo;
let dir: string;
beforeAll(async () => {
  dynamo = await startDynalite();
  dir = await mkdtemp(join(tmpdir(), "herald-security-check-"));
});
afterAll(async () => {
  await dynamo.close();
  await rm(dir, { recursive: true, force: true });
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Setup {
  feed: TestFeedServer;
  smtp: { port: number; messages: Array<{ to: string[]; raw: string }> };
  logs: Array<{ level: string; message: string; attributes: Record<string, unknown> }>;
  run(
    overrides?: Partial<SecurityCheckInput> & { env?: Record<string, string> },
  ): Promise<SecurityCheckSummary>;
  storesOpened: number;
}

let fileCounter = 0;
const stateKinds: Array<
  [string, () => Promise<Record<string, string>>, (env: Record<string, string>) => object]
> = [
  ["DynamoDB", async () => ({ HERALD_TABLE_NAME: await dynamo.createTable() }), () => ({})],
  ["file", async () => ({}), () => ({ state: join(dir, `state-${++fileCounter}.json`) })],
];

async function setup(
  options: {
    state?: "DynamoDB" | "file";
    smtp?: TestSmtpServer;
    bulletins?: FeedEntry[];
    env?: Record<string, string>;
  } = {},
): Promise<Setup> {
  const feed = await startFeedServer({ bulletins: options.bulletins ?? BULLETINS, bodies: BODIES });
  cleanups.push(() => feed.close());
  const smtp = options.smtp ?? (await startSmtpServer({ starttls: false }));
  cleanups.push(() => smtp.close());
  const [, stateEnv, stateFlags] = stateKinds.find(([name]) => name === (options.state ?? "file"))!;
  const stateVariables = await stateEnv();
  const flags = stateFlags(stateVariables);
  const logs: Setup["logs"] = [];
  const log =
    (level: string) =>
    (message: string, ...attributes: Array<Record<string, unknown>>) =>
      logs.push({ level, message, attributes: Object.assign({}, ...attributes) });
  const logger: CheckLogger = { info: log("info"), warn: log("warn"), error: log("error") };
  const setupState = { storesOpened: 0 };
  const transports: MailTransport[] = [];
  cleanups.push(async () => {
    for (const transport of transports) await transport.close();
  });

  const baseEnv = {
    MM_EMAILSETTINGS_SMTPSERVER: "127.0.0.1",
    MM_EMAILSETTINGS_SMTPPORT: String(smtp.port),
    MM_EMAILSETTINGS_FEEDBACKEMAIL: "herald@example.com",
    MM_EMAILSETTINGS_FEEDBACKNAME: "Herald",
    MM_TEAMSETTINGS_SITENAME: "Acme Chat",
    HERALD_SECURITY_FEED_URL: feed.url,
    HERALD_PRODUCT_VERSION: "9.11.2",
    HERALD_ADMIN_EMAILS: ADMINS.join(","),
    HERALD_INSTALLATION_ID: "",
    ...stateVariables,
    ...options.env,
  };

  return Object.assign(setupState, {
    feed,
    smtp,
    logs,
    async run(overrides: Partial<SecurityCheckInput> & { env?: Record<string, string> } = {}) {
      const env = { ...baseEnv, ...overrides.env };
      return runSecurityCheck({
        loaded: await loadSettings({ env, ssm: false }),
        config: parseSecurityCheckConfig(env, flags),
        openStore: (location: StateLocation) => {
          setupState.storesOpened += 1;
          return openStateStore(location, () => dynamo.client);
        },
        openTransport: (settings) => {
          const transport = createSmtpTransport({ settings });
          transports.push(transport);
          return transport;
        },
        logger,
        ...overrides,
      });
    },
  });
}

/** Who got which bulletin (by its heading), in the order the server accepted them. */
async function deliveries(smtp: Setup["smtp"]): Promise<string[]> {
  return Promise.all(
    smtp.messages.map(async (message) => {
      const mail = await simpleParser(message.raw);
      return `${message.to.join(",")} ${/<h1>(\w+)<\/h1>/.exec(String(mail.html))?.[1] ?? "?"}`;
    }),
  );
}

describe.each(["DynamoDB", "file"] as const)("security check with the %s store", (state) => {
  it("emails each applicable bulletin (exact version and range) to every administrator, once", async () => {
    const s = await setup({ state });
    const first = await s.run();
    expect(first).toEqual({ checked: 4, applicable: 2, sent: 4, skipped: 0, errors: [] });
    expect((await deliveries(s.smtp)).sort()).toEqual([
      "ops@example.com Exact",
      "ops@example.com Range",
      "sec@example.com Exact",
      "sec@example.com Range",
    ]);
    // Only the applicable bulletins' bodies were fetched.
    expect(s.feed.requests.map((r) => r.path)).toEqual([
      "/security",
      "/bulletins/MMSA-exact",
      "/bulletins/MMSA-range",
    ]);

    const second = await s.run();
    expect(second).toEqual({ checked: 4, applicable: 2, sent: 0, skipped: 4, errors: [] });
    expect(s.smtp.messages).toHaveLength(4);
    // Nothing left to send: no body was fetched again.
    expect(s.feed.requests.map((r) => r.path).slice(3)).toEqual(["/security"]);
  });

  it("retries only the administrator whose delivery failed, on the next run", async () => {
    const smtp = await startSmtpServer({
      starttls: false,
      recipientFaults: [
        {
          address: "sec@example.com",
          code: 451,
          message: "4.3.0 Temporary failure, try again later",
          times: 1,
        },
      ],
    });
    const s = await setup({ state, smtp, bulletins: [BULLETINS[0]!] });
    const first = await s.run();
    expect(first).toMatchObject({ checked: 1, applicable: 1, sent: 1, skipped: 0 });
    expect(first.errors).toEqual([
      {
        bulletin: "MMSA-exact",
        admin: "sec@example.com",
        stage: "send",
        message: expect.stringMatching(/451.*Temporary failure.*the next run retries/s),
      },
    ]);
    expect(await deliveries(smtp)).toEqual(["ops@example.com Exact"]);

    const second = await s.run();
    expect(second).toEqual({ checked: 1, applicable: 1, sent: 1, skipped: 1, errors: [] });
    expect(await deliveries(smtp)).toEqual(["ops@example.com Exact", "sec@example.com Exact"]);
    expect(smtp.recipientRefusals?.get("sec@example.com")).toBe(1);
  });

  it("records nothing when the feed fails: the next good run sends everything", async () => {
    const s = await setup({ state });
    s.feed.setFault("/security", { kind: "malformed", body: "[{" });
    const failed = await s.run();
    expect(failed).toEqual({
      checked: 0,
      applicable: 0,
      sent: 0,
      skipped: 0,
      errors: [
        { stage: "feed", message: expect.stringMatching(/^EFEEDMALFORMED: the bulletin list is not JSON/) },
      ],
    });
    s.feed.setFault("/security", undefined);
    expect(await s.run()).toMatchObject({ sent: 4, skipped: 0, errors: [] });
  });

  it("sends the same installation id on every run", async () => {
    const s = await setup({ state });
    await s.run();
    await s.run();
    const ids = s.feed.requests.filter((r) => r.path === "/security").map((r) => r.query.id);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[1]).toBe(ids[0]);
  });
});

describe("security check: the feed", () => {
  it("sends HERALD_INSTALLATION_ID and the version as the query", async () => {
    const s = await setup();
    await s.run({ env: { HERALD_INSTALLATION_ID: "acme-prod" } });
    expect(s.feed.requests[0]).toMatchObject({ path: "/security", query: { id: "acme-prod", b: "9.11.2" } });
  });

  it("does nothing, without errors, for an empty list", async () => {
    const s = await setup({ bulletins: [] });
    expect(await s.run()).toEqual({ checked: 0, applicable: 0, sent: 0, skipped: 0, errors: [] });
    expect(s.smtp.messages).toHaveLength(0);
  });

  it("reports a bulletin whose range has an empty || alternative, naming the field, and sends nothing for it", async () => {
    const s = await setup({
      bulletins: [{ id: "MMSA-empty-or", applies_to_version: ">=9.0.0 <9.0.5 ||" }, BULLETINS[0]!],
    });
    const summary = await s.run();
    expect(summary).toMatchObject({ checked: 2, applicable: 1, sent: 2 });
    expect(summary.errors).toEqual([
      {
        bulletin: "MMSA-empty-or",
        stage: "bulletin",
        message: expect.stringMatching(/^applies_to_version ">=9.0.0 <9.0.5 \|\|" has an empty alternative/),
      },
    ]);
    expect(await deliveries(s.smtp)).toEqual(["ops@example.com Exact", "sec@example.com Exact"]);
  });

  it("does nothing, without errors, when no bulletin applies", async () => {
    const s = await setup({ bulletins: [BULLETINS[2]!, BULLETINS[3]!] });
    expect(await s.run()).toEqual({ checked: 2, applicable: 0, sent: 0, skipped: 0, errors: [] });
    expect(s.feed.requests).toHaveLength(1);
  });

  it.each([
    [
      "a 500",
      { kind: "status", status: 500 },
      /EFEEDSTATUS: GET http:\/\/127\.0\.0\.1:\d+\/security answered 500/,
    ],
    ["a wrong shape", { kind: "malformed", body: '[{"id":"1"}]' }, /EFEEDMALFORMED: .*applies_to_version/],
    [
      "an oversized list",
      { kind: "oversized", bytes: 3 * 1024 * 1024 },
      /EFEEDTOOLARGE: .*larger than 1048576 bytes/,
    ],
  ] as const)("ends the run with a feed error on %s", async (_case, fault, message) => {
    const s = await setup();
    s.feed.setFault("/security", fault);
    const summary = await s.run();
    expect(summary).toEqual({
      checked: 0,
      applicable: 0,
      sent: 0,
      skipped: 0,
      errors: [{ stage: "feed", message: expect.stringMatching(message) }],
    });
    expect(s.smtp.messages).toHaveLength(0);
    expect(s.logs.at(-1)).toMatchObject({ level: "error", attributes: { event: "security-check.failed" } });
  });

  it("stops a slow feed after HERALD_SECURITY_FEED_TIMEOUT", async () => {
    const s = await setup({ env: { HERALD_SECURITY_FEED_TIMEOUT: "0.5" } });
    s.feed.setFault("/security", { kind: "slow", everyMs: 100 });
    const summary = await s.run();
    // the bound that fired is the configured 0.5 s (the trickle never ends and never idles)
    expect(summary.errors).toEqual([
      { stage: "feed", message: expect.stringMatching(/^EFEEDTIMEOUT: .* did not finish within 0.5 s/) },
    ]);
  });

  it("reports a bulletin whose body answers 404, sends the others, and sends it once it is there", async () => {
    const s = await setup();
    s.feed.bodies.delete("MMSA-range");
    const first = await s.run();
    expect(first).toMatchObject({ checked: 4, applicable: 2, sent: 2, skipped: 0 });
    expect(first.errors).toEqual([
      { bulletin: "MMSA-range", stage: "bulletin", message: expect.stringMatching(/answered 404/) },
    ]);
    expect((await deliveries(s.smtp)).sort()).toEqual(["ops@example.com Exact", "sec@example.com Exact"]);

    s.feed.bodies.set("MMSA-range", BODIES["MMSA-range"]);
    expect(await s.run()).toEqual({ checked: 4, applicable: 2, sent: 2, skipped: 2, errors: [] });
    expect((await deliveries(s.smtp)).slice(2).sort()).toEqual([
      "ops@example.com Range",
      "sec@example.com Range",
    ]);
  });

  it("sends a bulletin without its script, event handlers or javascript: links", async () => {
    const s = await setup({ bulletins: [BULLETINS[0]!] });
    s.feed.bodies.set(
      "MMSA-exact",
      '<h1 onclick="steal()">Exact</h1><script>document.location="https://evil.example"</script>' +
        '<p>See <a href="javascript:steal()" onclick="steal()">this</a> and <a href="https://mattermost.com/security-updates/">the updates</a>.</p>',
    );
    expect(await s.run()).toMatchObject({ sent: 2, errors: [] });
    const mail = await simpleParser(s.smtp.messages[0]!.raw);
    expect(mail.subject).toBe("[Acme Chat] Security Bulletin");
    expect(mail.from?.text).toBe('"Herald" <herald@example.com>');
    expect(mail.html).toBe(
      '<h1>Exact</h1><p>See <a>this</a> and <a href="https://mattermost.com/security-updates/">the updates</a>.</p>',
    );
    expect(mail.text).toContain("the updates [https://mattermost.com/security-updates/]");
    expect(s.smtp.messages[0]!.raw).not.toMatch(/script|onclick|javascript|evil\.example/i);
  });

  it("sends no empty email when nothing of a bulletin survives sanitizing, and retries it later", async () => {
    const s = await setup({ bulletins: [BULLETINS[0]!] });
    s.feed.bodies.set("MMSA-exact", '<script>alert("x")</script><img src="https://t.example/p.gif">');
    const first = await s.run();
    expect(first).toMatchObject({ sent: 0 });
    expect(first.errors).toEqual([
      { bulletin: "MMSA-exact", stage: "bulletin", message: expect.stringMatching(/nothing left/) },
    ]);
    expect(s.smtp.messages).toHaveLength(0);
    s.feed.bodies.set("MMSA-exact", BODIES["MMSA-exact"]);
    expect(await s.run()).toMatchObject({ sent: 2, errors: [] });
  });
});

describe("security check: when it does not run", () => {
  it.each([
    ["MM_EMAILSETTINGS_ENABLESECURITYFIXALERT", "EnableSecurityFixAlert is false"],
    ["MM_EMAILSETTINGS_SENDEMAILNOTIFICATIONS", "SendEmailNotifications is false"],
  ])("skips with a logged reason when %s is false, whatever the rest", async (variable, reason) => {
    const s = await setup();
    const summary = await s.run({ env: { [variable]: "false", HERALD_PRODUCT_VERSION: "" } });
    expect(summary).toEqual({
      checked: 0,
      applicable: 0,
      sent: 0,
      skipped: 0,
      errors: [],
      skippedReason: reason,
    });
    expect(s.logs).toEqual([
      {
        level: "info",
        message: "security check skipped",
        attributes: { event: "security-check.skipped", reason },
      },
    ]);
    expect(s.feed.requests).toHaveLength(0);
    expect(s.storesOpened).toBe(0);
  });

  it("reports configuration problems naming the variable, and contacts nothing", async () => {
    const s = await setup();
    const summary = await s.run({
      env: { HERALD_PRODUCT_VERSION: "", HERALD_ADMIN_EMAILS: "ops@example.com,oops" },
    });
    expect(summary.errors).toEqual([
      { stage: "config", message: expect.stringMatching(/^HERALD_PRODUCT_VERSION: .*required/) },
      {
        stage: "config",
        message: expect.stringMatching(/^HERALD_ADMIN_EMAILS: "oops" is not an email address/),
      },
    ]);
    expect(s.feed.requests).toHaveLength(0);
    expect(s.storesOpened).toBe(0);
  });

  it("reports settings no email could be sent with", async () => {
    const s = await setup();
    const summary = await s.run({ env: { MM_EMAILSETTINGS_SMTPPORT: "99999" } });
    expect(summary.errors).toEqual([
      { stage: "settings", message: expect.stringMatching(/^EmailSettings\.SMTPPort: /) },
    ]);
    expect(s.feed.requests).toHaveLength(0);
  });

  it("stops at the deadline without sending, and records nothing", async () => {
    const s = await setup();
    const summary = await s.run({ deadline: Date.now() + 5000, now: () => Date.now() + 10_000 });
    expect(summary.sent).toBe(0);
    expect(summary.errors.map((e) => e.stage)).toContain("deadline");
    expect(s.smtp.messages).toHaveLength(0);
    expect(await s.run()).toMatchObject({ sent: 4, errors: [] });
  });
});

describe("security check: a hostile feed", () => {
  // 40 applicable bulletins would be 80 emails to two administrators in one run
  const many: FeedEntry[] = Array.from({ length: 40 }, (_, i) => ({
    id: `MMSA-${i}`,
    applies_to_version: "9.11.2",
  }));
  const bodies = Object.fromEntries(many.map((b) => [b.id, `<h1>B${b.id.slice(5)}</h1>`]));

  it("emails at most 10 bulletins a run, warns and counts the rest, and sends those on later runs", async () => {
    const s = await setup({ bulletins: many });
    for (const [id, body] of Object.entries(bodies)) s.feed.bodies.set(id, body);
    const first = await s.run();
    expect(first).toEqual({ checked: 40, applicable: 40, sent: 20, skipped: 0, deferred: 30, errors: [] });
    expect(s.smtp.messages).toHaveLength(20);
    expect(s.logs).toContainEqual(
      expect.objectContaining({
        level: "warn",
        attributes: expect.objectContaining({
          event: "security-check.bulletin-cap",
          limit: 10,
          deferred: 30,
        }),
      }),
    );
    expect(securityCheckMetrics(first)).toContainEqual({ name: "SecurityBulletinsDeferred", value: 30 });
    // the next run sends the next ten (the sent ones do not count against the cap)
    expect(await s.run()).toMatchObject({ sent: 20, skipped: 20, deferred: 20 });
    expect(s.smtp.messages).toHaveLength(40);
  });

  it("takes its cap from HERALD_SECURITY_MAX_BULLETINS", async () => {
    const s = await setup({ bulletins: many, env: { HERALD_SECURITY_MAX_BULLETINS: "3" } });
    for (const [id, body] of Object.entries(bodies)) s.feed.bodies.set(id, body);
    expect(await s.run()).toMatchObject({ sent: 6, deferred: 37, errors: [] });
  });
});

describe("security check: messages", () => {
  it("names a state file error's code once (EISDIR: ..., not EISDIR: EISDIR: ...)", async () => {
    const s = await setup();
    const summary = await s.run({
      openStore: () => openStateStore({ kind: "file", path: dir }, () => dynamo.client),
    });
    expect(summary.errors).toEqual([
      expect.objectContaining({
        stage: "state",
        message: expect.stringMatching(/EISDIR: illegal operation/),
      }),
    ]);
    expect(summary.errors[0]!.message).not.toMatch(/EISDIR: EISDIR/);
  });
});
