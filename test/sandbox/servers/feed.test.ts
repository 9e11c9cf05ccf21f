// The loopback security feed's own bookkeeping (its answers are tested through the feed
// client in test/src/security/feed.test.ts).
import http from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { startFeedServer, type TestFeedServer } from "../../../sandbox/servers/feed.ts";

let feed: TestFeedServer | undefined;
let agent: http.Agent | undefined;
afterEach(async () => {
  agent?.destroy();
  await feed?.close();
  feed = agent = undefined;
});

function get(url: string, via: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: via }, (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
      })
      .on("error", reject);
  });
}

describe("the feed server", () => {
  it("serves many requests on one keep-alive connection without a listener per request, and marks them all closed with it", async () => {
    feed = await startFeedServer();
    agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      // one more than EventEmitter's default limit of 10 listeners
      for (let i = 0; i < 11; i += 1) expect(await get(`${feed.url}/security`, agent)).toBe(200);
      expect(feed.openConnections).toBe(1);
      expect(feed.requests.some((request) => request.socketClosed)).toBe(false);
      // warnings are emitted on the next tick
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((warning) => warning.name)).not.toContain("MaxListenersExceededWarning");
    } finally {
      process.off("warning", onWarning);
    }
    agent.destroy();
    await vi.waitFor(() => expect(feed!.requests.every((request) => request.socketClosed)).toBe(true));
    expect(feed.requests).toHaveLength(11);
  });
});
