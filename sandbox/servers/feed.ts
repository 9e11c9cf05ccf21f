/**
 * A loopback security bulletin feed (Mattermost's securityupdatecheck shape) with
 * scriptable faults:
 *   GET /security?id=...&b=...  -> the bulletin list as JSON
 *   GET /bulletins/<id>         -> the bulletin's HTML
 * Any path can be given a fault instead (slow, oversized, malformed, a status). `close()`
 * destroys open sockets and stops every trickle timer, so nothing outlives a test.
 */
import http from "node:http";
import type { Socket } from "node:net";
import { listenOnLoopback } from "./listen.ts";

export interface FeedEntry {
  id: string;
  applies_to_version: string;
}

export type FeedFault =
  /** answer this status (404, 500, ...) with a short text body */
  | { kind: "status"; status: number }
  /** 200 with this body verbatim (broken JSON, a wrong shape) */
  | { kind: "malformed"; body: string }
  /** 200, then one byte every `everyMs` forever: never idle, never finished */
  | { kind: "slow"; everyMs: number }
  /** 200 and `bytes` bytes; with `declareLength` a Content-Length says so up front */
  | { kind: "oversized"; bytes: number; declareLength?: boolean }
  /** accept the request and never answer */
  | { kind: "hang" };

export interface FeedRequest {
  path: string;
  query: Record<string, string>;
  /** the request's connection was closed (a client giving up mid-response must close it) */
  socketClosed: boolean;
}

export interface TestFeedServer {
  /** base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** every request received, in order */
  requests: FeedRequest[];
  /** connections open right now (a client that gave up must have closed its socket) */
  readonly openConnections: number;
  /** the list /security answers */
  bulletins: FeedEntry[];
  /** HTML per bulletin id; a bulletin without a body answers 404 */
  bodies: Map<string, string>;
  /** a fault for a path ("/security", "/bulletins/<id>"); undefined clears it */
  setFault(path: string, fault: FeedFault | undefined): void;
  /**
   * Hold /security answers until `count` requests for it are waiting, then answer them all
   * at once: overlapping runs really overlap.
   */
  holdListUntil(count: number): void;
  close(): Promise<void>;
}

export interface FeedServerOptions {
  /** 127.0.0.1 port; 0 picks a free one. @default 0 */
  port?: number;
  /** the list /security answers. @default [] */
  bulletins?: FeedEntry[];
  /** HTML per bulletin id. @default {} */
  bodies?: Record<string, string>;
}

export async function startFeedServer(options: FeedServerOptions = {}): Promise<TestFeedServer> {
  const faults = new Map<string, FeedFault>();
  const timers = new Set<NodeJS.Timeout>();
  const requests: FeedRequest[] = [];
  const sockets = new Set<Socket>();
  // the requests each connection carried: a keep-alive connection carries many, and one
  // "close" listener per connection (not per request) marks them all
  const requestsOn = new WeakMap<Socket, FeedRequest[]>();
  let hold: { count: number; waiting: Array<() => void> } | undefined;

  let closing: Promise<void> | undefined;
  const feed: TestFeedServer = {
    url: "",
    requests,
    get openConnections() {
      return sockets.size;
    },
    bulletins: options.bulletins ?? [],
    bodies: new Map(Object.entries(options.bodies ?? {})),
    setFault(path, fault) {
      if (fault) faults.set(path, fault);
      else faults.delete(path);
    },
    holdListUntil(count) {
      hold = { count, waiting: [] };
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearInterval(timer);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };

  const answer = (path: string, response: http.ServerResponse) => {
    const fault = faults.get(path);
    if (fault) return answerFault(fault, response, timers);
    if (path === "/security") {
      return send(response, 200, "application/json", JSON.stringify(feed.bulletins));
    }
    const bulletin = /^\/bulletins\/([^/]+)$/.exec(path)?.[1];
    const body = bulletin === undefined ? undefined : feed.bodies.get(decodeURIComponent(bulletin));
    if (body === undefined) return send(response, 404, "text/plain", "not found");
    return send(response, 200, "text/html; charset=utf-8", body);
  };

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://feed.test");
    const entry: FeedRequest = {
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      socketClosed: false,
    };
    requests.push(entry);
    requestsOn.get(request.socket)?.push(entry);
    response.on("error", () => {});
    if (url.pathname === "/security" && hold) {
      const current = hold;
      current.waiting.push(() => answer(url.pathname, response));
      if (current.waiting.length >= current.count) {
        hold = undefined;
        for (const release of current.waiting) release();
      }
      return;
    }
    answer(url.pathname, response);
  });
  server.on("clientError", (_error, socket) => socket.destroy());
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    const carried: FeedRequest[] = [];
    requestsOn.set(socket, carried);
    socket.once("close", () => {
      sockets.delete(socket);
      for (const entry of carried) entry.socketClosed = true;
    });
  });
  const port = await listenOnLoopback(server, options.port ?? 0);

  feed.url = `http://127.0.0.1:${port}`;
  return feed;
}

function send(response: http.ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  response.end(body);
}

function answerFault(fault: FeedFault, response: http.ServerResponse, timers: Set<NodeJS.Timeout>): void {
  switch (fault.kind) {
    case "status":
      return send(response, fault.status, "text/plain", `status ${fault.status}`);
    case "malformed":
      return send(response, 200, "application/json", fault.body);
    case "slow": {
      response.writeHead(200, { "content-type": "application/json" });
      response.write("[");
      const timer = setInterval(() => response.write(" "), fault.everyMs);
      timers.add(timer);
      response.on("close", () => {
        clearInterval(timer);
        timers.delete(timer);
      });
      return;
    }
    case "oversized": {
      response.writeHead(200, {
        "content-type": "text/html",
        ...(fault.declareLength ? { "content-length": fault.bytes } : {}),
      });
      const chunk = Buffer.alloc(64 * 1024, "a");
      let left = fault.bytes;
      // Write as the client reads; stop when it hangs up.
      const pump = () => {
        while (left > 0) {
          const piece = chunk.subarray(0, Math.min(chunk.length, left));
          left -= piece.length;
          if (!response.write(piece)) return void response.once("drain", pump);
        }
        response.end();
      };
      response.on("close", () => {
        left = 0;
      });
      return pump();
    }
    case "hang":
      return;
  }
}
