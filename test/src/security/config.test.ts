import { describe, expect, it } from "vitest";
import { parseSecurityCheckConfig, type ConfigProblem } from "../../../src/security/config.ts";

const minimal = {
  HERALD_PRODUCT_VERSION: "9.11.2",
  HERALD_ADMIN_EMAILS: "ops@example.com",
  HERALD_TABLE_NAME: "herald",
};

function problems(env: NodeJS.ProcessEnv, flags = {}): ConfigProblem[] {
  const parsed = parseSecurityCheckConfig(env, flags);
  return parsed.ok ? [] : parsed.problems;
}

describe("parseSecurityCheckConfig", () => {
  it("applies the documented defaults", () => {
    const parsed = parseSecurityCheckConfig(minimal);
    expect(parsed).toEqual({
      ok: true,
      config: {
        feedUrl: "https://securityupdatecheck.mattermost.com",
        feedTimeoutMs: 10_000,
        productVersion: "9.11.2",
        admins: ["ops@example.com"],
        state: { kind: "dynamodb", tableName: "herald" },
        maxBulletinsPerRun: 10,
      },
    });
  });

  it("reads every variable", () => {
    const parsed = parseSecurityCheckConfig({
      ...minimal,
      HERALD_SECURITY_FEED_URL: "http://127.0.0.1:8080/feed/",
      HERALD_SECURITY_FEED_TIMEOUT: "2.5",
      HERALD_INSTALLATION_ID: "abc-123",
      HERALD_ADMIN_EMAILS: " ops@example.com, sec@example.com ,,OPS@example.com",
      HERALD_SECURITY_MAX_BULLETINS: "25",
    });
    expect(parsed.ok && parsed.config).toMatchObject({
      maxBulletinsPerRun: 25,
      feedUrl: "http://127.0.0.1:8080/feed",
      feedTimeoutMs: 2500,
      installationId: "abc-123",
      admins: ["ops@example.com", "sec@example.com"],
    });
  });

  it("lets flags replace variables, and --state the table", () => {
    const parsed = parseSecurityCheckConfig(
      { ...minimal, HERALD_SECURITY_FEED_URL: "https://ignored.example" },
      {
        feedUrl: "https://feed.example",
        productVersion: "10.0.0",
        admins: "a@example.com",
        state: "/tmp/s.json",
      },
    );
    expect(parsed.ok && parsed.config).toMatchObject({
      feedUrl: "https://feed.example",
      productVersion: "10.0.0",
      admins: ["a@example.com"],
      state: { kind: "file", path: "/tmp/s.json" },
    });
  });

  it.each([
    ["HERALD_PRODUCT_VERSION", { HERALD_PRODUCT_VERSION: "" }, /required/],
    ["HERALD_PRODUCT_VERSION", { HERALD_PRODUCT_VERSION: "nine" }, /not a semantic version/],
    ["HERALD_ADMIN_EMAILS", { HERALD_ADMIN_EMAILS: " , " }, /no administrator/],
    ["HERALD_ADMIN_EMAILS", { HERALD_ADMIN_EMAILS: "ops@example.com,not-an-address" }, /"not-an-address"/],
    ["HERALD_SECURITY_FEED_URL", { HERALD_SECURITY_FEED_URL: "ftp://feed.example" }, /http or https/],
    ["HERALD_SECURITY_FEED_URL", { HERALD_SECURITY_FEED_URL: "not a url" }, /not a URL/],
    ["HERALD_SECURITY_FEED_URL", { HERALD_SECURITY_FEED_URL: "https://f.example/?x=1" }, /no query/],
    ["HERALD_SECURITY_FEED_TIMEOUT", { HERALD_SECURITY_FEED_TIMEOUT: "0" }, /seconds/],
    ["HERALD_SECURITY_FEED_TIMEOUT", { HERALD_SECURITY_FEED_TIMEOUT: "ten" }, /seconds/],
    ["HERALD_INSTALLATION_ID", { HERALD_INSTALLATION_ID: "has space" }, /printable/],
    ["HERALD_SECURITY_MAX_BULLETINS", { HERALD_SECURITY_MAX_BULLETINS: "0" }, /whole number/],
    ["HERALD_SECURITY_MAX_BULLETINS", { HERALD_SECURITY_MAX_BULLETINS: "2.5" }, /whole number/],
    ["HERALD_TABLE_NAME", { HERALD_TABLE_NAME: "" }, /record sent bulletins/],
  ])("names %s when it is wrong (%o)", (source, env, message) => {
    const found = problems({ ...minimal, ...env });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ source, message: expect.stringMatching(message) });
    expect(found[0]!.fix).not.toBe("");
  });

  it("names the flag, not the variable, when a flag is wrong", () => {
    expect(
      problems(minimal, { productVersion: "x", admins: "nobody", feedUrl: "file:///etc" }).map(
        (p) => p.source,
      ),
    ).toEqual(["--feed-url", "--product-version", "--admins"]);
  });

  it("reports every problem at once", () => {
    expect(problems({}).map((p) => p.source)).toEqual([
      "HERALD_PRODUCT_VERSION",
      "HERALD_ADMIN_EMAILS",
      "HERALD_TABLE_NAME",
    ]);
  });
});
