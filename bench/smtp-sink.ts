/**
 * The SMTP sink of the throughput and memory benchmarks: smtp-server on 127.0.0.1 that accepts
 * every message and throws it away, counting messages, bytes and connections (also the most
 * open at once). It runs in its own process (startSink), so the sink and the client under
 * test never share an event loop.
 */
import { fork, type ChildProcess } from "node:child_process";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface SinkStats {
  messages: number;
  bytes: number;
  /** connections accepted since the last reset */
  connections: number;
  /** the most connections open at the same time since the last reset */
  peakConnections: number;
}

type Request = { type: "stats" } | { type: "reset" };
type Reply = { type: "ready"; port: number } | { type: "stats"; stats: SinkStats };

export interface Sink {
  host: "127.0.0.1";
  port: number;
  stats(): Promise<SinkStats>;
  reset(): Promise<SinkStats>;
  close(): Promise<void>;
}

function serve(): void {
  const stats: SinkStats = { messages: 0, bytes: 0, connections: 0, peakConnections: 0 };
  let open = 0;
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ["AUTH", "STARTTLS"],
    // no reverse DNS lookup per connection: loopback only, and no network here
    disableReverseLookup: true,
    size: 0,
    onConnect(_session, callback) {
      open += 1;
      stats.connections += 1;
      stats.peakConnections = Math.max(stats.peakConnections, open);
      callback();
    },
    onClose() {
      open -= 1;
    },
    onData(stream, _session, callback) {
      stream.on("data", (chunk: Buffer) => (stats.bytes += chunk.length));
      stream.on("end", () => {
        stats.messages += 1;
        callback();
      });
    },
  });
  server.on("error", (error) => console.error(`sink: ${error.message}`));
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.server.address() as AddressInfo;
    process.send?.({ type: "ready", port } satisfies Reply);
  });
  process.on("message", (request: Request) => {
    process.send?.({ type: "stats", stats: { ...stats } } satisfies Reply);
    if (request.type === "reset") {
      Object.assign(stats, { messages: 0, bytes: 0, connections: 0, peakConnections: open });
    }
  });
  // the parent went away (or closed the channel): stop
  process.on("disconnect", () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  });
}

/** Start the sink in a child process; close() stops it. */
export async function startSink(): Promise<Sink> {
  const child: ChildProcess = fork(import.meta.filename, ["--serve"], {
    execPath: process.execPath,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const replies: Array<(reply: Reply) => void> = [];
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the SMTP sink exited (${code}) before listening`)));
    child.once("message", (reply: Reply) => {
      if (reply.type === "ready") resolve(reply.port);
    });
  });
  child.removeAllListeners("exit");
  child.on("message", (reply: Reply) => replies.shift()?.(reply));
  const ask = (request: Request) =>
    new Promise<SinkStats>((resolve) => {
      replies.push((reply) => resolve(reply.type === "stats" ? reply.stats : (undefined as never)));
      child.send(request);
    });
  return {
    host: "127.0.0.1",
    port,
    stats: () => ask({ type: "stats" }),
    reset: () => ask({ type: "reset" }),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.disconnect();
      }),
  };
}

if (process.argv.includes("--serve") && process.send) serve();
