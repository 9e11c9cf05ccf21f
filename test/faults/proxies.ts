/**
 * Fault injection between Herald and a local server: a TCP proxy that can be switched down
 * (connections refused by reset), and an HTTP proxy in front of the SES emulator that can
 * answer 500 after the emulator has stored the message.
 */
import http from "node:http";
import net from "node:net";
import { LOOPBACK, listenOnLoopback } from "../../sandbox/servers/listen.ts";

export interface TcpProxy {
  port: number;
  /** while down, every connection (new or open) is reset */
  down: boolean;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const proxy: TcpProxy = {
    port: 0,
    down: false,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
  const server = net.createServer((client) => {
    if (proxy.down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(targetPort, LOOPBACK);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
      socket.once("close", () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  proxy.port = await listenOnLoopback(server, 0);
  Object.defineProperty(proxy, "down", {
    get: () => down,
    set: (value: boolean) => {
      down = value;
      if (value) for (const socket of sockets) socket.destroy();
    },
  });
  let down = false;
  return proxy;
}

export interface SesFaultProxy {
  endpoint: string;
  /** asked per SendEmail after the emulator stored it: true answers 500 instead */
  failAfterStore: () => boolean;
  close(): Promise<void>;
}

export async function startSesFaultProxy(
  targetEndpoint: string,
  failAfterStore: () => boolean,
): Promise<SesFaultProxy> {
  const target = new URL(targetEndpoint);
  const server = http.createServer((request, response) => {
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: request.url,
        method: request.method,
        headers: request.headers,
      },
      (reply) => {
        const chunks: Buffer[] = [];
        reply.on("data", (chunk: Buffer) => chunks.push(chunk));
        reply.on("end", () => {
          const stored = (reply.statusCode ?? 500) < 300 && /outbound-emails/.test(request.url ?? "");
          if (stored && failAfterStore()) {
            response.writeHead(500, {
              "content-type": "application/json",
              "x-amzn-errortype": "InternalFailure",
            });
            response.end(JSON.stringify({ message: "internal failure (after storing the message)" }));
            return;
          }
          response.writeHead(reply.statusCode ?? 500, reply.headers);
          response.end(Buffer.concat(chunks));
        });
      },
    );
    upstream.on("error", () => {
      response.writeHead(502);
      response.end();
    });
    request.pipe(upstream);
  });
  const port = await listenOnLoopback(server, 0);
  return {
    endpoint: `http://${LOOPBACK}:${port}`,
    failAfterStore,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
