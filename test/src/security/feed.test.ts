import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FeedMalformedError, FeedStatusError } from "../../../src/security/errors.ts";
import { fetchBulletinHtml, listBulletins } from "../../../src/security/feed.ts";
import { startFeedServer, type TestFeedServer } from "../../../sandbox/servers/feed.ts";

let feed: TestFeedServer;
beforeAll(async () => {
  feed = await startFeedServer();
});
afterAll(() => feed.close());
beforeEach(() => {
  feed.requests.length = 0;
  feed.setFault("/security", undefined);
});

const query = { installationId: "install-1", productVersion: "9.11.2" };
const options = () => ({ feedUrl: feed.url, timeoutMs: 5000 });

describe("listBulletins", () => {
  it("asks /security with the installation id and version, and returns the list", async () => {
    feed.bulletins = [
      { id: "MMSA-2024-1", applies_to_version: "9.11.2" },
      { id: "2", applies_to_version: ">=9.0.0" },
    ];
    await expect(listBulletins(options(), query)).resolves.toEqual(feed.bulletins);
    expect(feed.requests.map(({ path, query }) => ({ path, query }))).toEqual([
      { path: "/security", query: { id: "install-1", b: "9.11.2" } },
    ]);
  });

  it("accepts an empty list and extra fields", async () => {
    feed.bulletins = [];
    await expect(listBulletins(options(), query)).resolves.toEqual([]);
    feed.setFault("/security", {
      kind: "malformed",
      body: '[{"id":"1","applies_to_version":"9.11.2","severity":"high"}]',
    });
    await expect(listBulletins(options(), query)).resolves.toMatchObject([{ id: "1" }]);
  });

  it("accepts a list that starts with a byte-order mark", async () => {
    feed.setFault("/security", {
      kind: "malformed",
      body: '\uFEFF[{"id":"1","applies_to_version":"9.11.2"}]',
    });
    await expect(listBulletins(options(), query)).resolves.toMatchObject([{ id: "1" }]);
  });

  it("keeps a base URL's own path", async () => {
    await listBulletins({ feedUrl: `${feed.url}/prefix`, timeoutMs: 5000 }, query).catch(() => {});
    expect(feed.requests[0]?.path).toBe("/prefix/security");
  });

  it.each([
    ["not JSON", "{[", /not JSON/],
    ["an object", '{"id":"1"}', /does not match.*list: /],
    ["no applies_to_version", '[{"id":"1"}]', /0\.applies_to_version/],
    [
      "an empty applies_to_version",
      '[{"id":"1","applies_to_version":" "}]',
      /0\.applies_to_version: must not be empty/,
    ],
    ["an id with a slash", '[{"id":"../x","applies_to_version":"9.11.2"}]', /0\.id: must be/],
    ["an id of '..'", '[{"id":"..","applies_to_version":"9.11.2"}]', /0\.id: must not be/],
    ["a numeric id", '[{"id":1,"applies_to_version":"9.11.2"}]', /0\.id/],
  ])("refuses %s", async (_case, body, message) => {
    feed.setFault("/security", { kind: "malformed", body });
    const error = await listBulletins(options(), query).catch((e) => e);
    expect(error).toBeInstanceOf(FeedMalformedError);
    expect(error.message).toMatch(message);
  });
});

describe("fetchBulletinHtml", () => {
  it("returns the body of /bulletins/<id>", async () => {
    feed.bodies.set("MMSA-1", "<p>Upgrade to 9.11.3</p>");
    await expect(fetchBulletinHtml(options(), "MMSA-1")).resolves.toBe("<p>Upgrade to 9.11.3</p>");
  });

  it("requires a 200", async () => {
    const error = await fetchBulletinHtml(options(), "missing").catch((e) => e);
    expect(error).toBeInstanceOf(FeedStatusError);
    expect(error.message).toMatch(/\/bulletins\/missing answered 404/);
  });

  it("refuses an empty body", async () => {
    feed.bodies.set("empty", "  \n");
    await expect(fetchBulletinHtml(options(), "empty")).rejects.toBeInstanceOf(FeedMalformedError);
  });
});
