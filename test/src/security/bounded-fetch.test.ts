import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { getBounded } from "../../../src/security/bounded-fetch.ts";
import {
  FeedRedirectError,
  FeedStatusError,
  FeedTimeoutError,
  FeedTooLargeError,
  FeedUnreachableError,
  FeedUrlError,
} from "../../../src/security/errors.ts";
import { startFeedServer, type TestFeedServer } from "../../../sandbox/servers/feed.ts";
import { closedPort } from "../../helpers/smtp-servers.ts";

const MB = 1024 * 1024;
let feed: TestFeedServer;
beforeAll(async () => {
  feed = await startFeedServer({ bodies: { small: "<p>hello</p>" } });
});
afterAll(() => feed.close());

/**
 * A client that gives up mid-response must close its connection at once (an idle
 * keep-alive connection after a complete response is fine: fetch's pool owns it).
 */
async function expectConnectionClosed(path: string): Promise<void> {
  const request = feed.requests.findLast((r) => r.path === path);
  expect(request).toBeDefined();
  await vi.waitFor(() => expect(request!.socketClosed).toBe(true), { timeout: 500 });
}

describe("getBounded", () => {
  it("returns a 200 body and its content type", async () => {
    const response = await getBounded(`${feed.url}/bulletins/small`, { timeoutMs: 5000, maxBytes: MB });
    expect(response.body.toString()).toBe("<p>hello</p>");
    expect(response.contentType).toMatch(/^text\/html/);
  });

  it.each([404, 500, 503])("refuses a %i with the status in the error", async (status) => {
    feed.setFault("/status", { kind: "status", status });
    const error = await getBounded(`${feed.url}/status`, { timeoutMs: 5000, maxBytes: MB }).catch((e) => e);
    expect(error).toBeInstanceOf(FeedStatusError);
    expect(error).toMatchObject({
      status,
      code: "EFEEDSTATUS",
      message: expect.stringContaining(`answered ${status}`),
    });
  });

  it("bounds the whole request, not idleness: a feed trickling a byte every 50 ms is stopped", async () => {
    feed.setFault("/trickle", { kind: "slow", everyMs: 50 });
    const error = await getBounded(`${feed.url}/trickle`, { timeoutMs: 400, maxBytes: MB }).catch((e) => e);
    // the bound that fired is the request's 0.4 s (the trickle never ends and never idles)
    expect(error).toBeInstanceOf(FeedTimeoutError);
    expect(error.message).toMatch(/did not finish within 0.4 s/);
    await expectConnectionClosed("/trickle");
  });

  it("stops a feed that never answers", async () => {
    feed.setFault("/hang", { kind: "hang" });
    const error = await getBounded(`${feed.url}/hang`, { timeoutMs: 300, maxBytes: MB }).catch((e) => e);
    expect(error).toBeInstanceOf(FeedTimeoutError);
    await expectConnectionClosed("/hang");
  });

  it("stops reading past the cap while the body streams (no Content-Length)", async () => {
    feed.setFault("/big", { kind: "oversized", bytes: 50 * MB });
    const error = await getBounded(`${feed.url}/big`, { timeoutMs: 10_000, maxBytes: MB }).catch((e) => e);
    expect(error).toBeInstanceOf(FeedTooLargeError);
    expect(error.message).toMatch(/larger than 1048576 bytes/);
    await expectConnectionClosed("/big");
  });

  it("refuses a declared Content-Length over the cap before reading", async () => {
    feed.setFault("/declared", { kind: "oversized", bytes: 50 * MB, declareLength: true });
    const error = await getBounded(`${feed.url}/declared`, { timeoutMs: 10_000, maxBytes: MB }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(FeedTooLargeError);
    await expectConnectionClosed("/declared");
  });

  it("accepts a body of exactly the cap", async () => {
    feed.setFault("/exact", { kind: "oversized", bytes: MB });
    const response = await getBounded(`${feed.url}/exact`, { timeoutMs: 10_000, maxBytes: MB });
    expect(response.body.length).toBe(MB);
  });

  it("names the network failure of an unreachable feed", async () => {
    const port = await closedPort();
    const error = await getBounded(`http://127.0.0.1:${port}/security`, {
      timeoutMs: 5000,
      maxBytes: MB,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(FeedUnreachableError);
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it.each(["file:///etc/passwd", "ftp://127.0.0.1/x", "data:text/plain,hi"])(
    "fetches only http(s): %s",
    async (url) => {
      await expect(getBounded(url, { timeoutMs: 1000, maxBytes: MB })).rejects.toBeInstanceOf(FeedUrlError);
    },
  );

  describe("redirects", () => {
    // A loopback server answering each path with a redirect to `to(path)`, or 200 "ok".
    async function redirecting(to: (path: string) => string | undefined) {
      const seen: string[] = [];
      const server = http.createServer((request, response) => {
        seen.push(request.url ?? "");
        const location = to(request.url ?? "");
        if (location === undefined) response.end("ok");
        else response.writeHead(302, { location }).end();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const close = () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      return { url, seen, close };
    }

    it("follows one within the feed's origin", async () => {
      const feedServer = await redirecting((path) => (path === "/old" ? "/new" : undefined));
      try {
        const response = await getBounded(`${feedServer.url}/old`, { timeoutMs: 5000, maxBytes: MB });
        expect(response.body.toString()).toBe("ok");
        expect(feedServer.seen).toEqual(["/old", "/new"]);
      } finally {
        await feedServer.close();
      }
    });

    it("refuses one to another origin, without asking it anything", async () => {
      const elsewhere = await redirecting(() => undefined);
      const feedServer = await redirecting(() => `${elsewhere.url}/security`);
      try {
        const error = await getBounded(`${feedServer.url}/security`, { timeoutMs: 5000, maxBytes: MB }).catch(
          (e) => e,
        );
        expect(error).toBeInstanceOf(FeedRedirectError);
        expect(error).toMatchObject({ code: "EFEEDREDIRECT" });
        expect(error.message).toContain(`redirected to ${elsewhere.url}`);
        expect(elsewhere.seen).toEqual([]);
      } finally {
        await Promise.all([feedServer.close(), elsewhere.close()]);
      }
    });

    it("gives up on a loop", async () => {
      const feedServer = await redirecting((path) => (path === "/a" ? "/b" : "/a"));
      try {
        const error = await getBounded(`${feedServer.url}/a`, { timeoutMs: 5000, maxBytes: MB }).catch(
          (e) => e,
        );
        expect(error).toBeInstanceOf(FeedRedirectError);
        expect(feedServer.seen.length).toBeLessThanOrEqual(6);
      } finally {
        await feedServer.close();
      }
    });
  });
});
