/**
 * aws-ses-v2-local (the SES v2 API emulator) on 127.0.0.1 in its own process, so the emulator
 * and the client under test never share an event loop.
 */
import { fork } from "node:child_process";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import sesModule from "aws-ses-v2-local";

export interface SesEmulator {
  /** http://127.0.0.1:<port>, what AWS_ENDPOINT_URL_SESV2 takes */
  endpoint: string;
  /** how many emails the emulator has stored */
  count(): Promise<number>;
  /** the stored emails, as the emulator keeps them (headers of Simple content included) */
  emails(): Promise<Array<{ headers?: Array<{ name: string; value: string }> }>>;
  clear(): Promise<void>;
  close(): Promise<void>;
}

// A CommonJS module with `exports.default`: Node's ESM import gives the exports object.
type StartServer = (config?: { host?: string; port?: number }) => Promise<Server>;
const loaded = sesModule as unknown as StartServer | { default: StartServer };
const startServer: StartServer = typeof loaded === "function" ? loaded : loaded.default;

async function serve(): Promise<void> {
  const server: Server = await startServer({ host: "127.0.0.1", port: 0 });
  const { port } = server.address() as AddressInfo;
  process.send?.({ port });
  process.on("disconnect", () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  });
}

export async function startSesEmulator(): Promise<SesEmulator> {
  const child = fork(import.meta.filename, ["--serve"], {
    execPath: process.execPath,
    // the emulator logs every email it stores
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`aws-ses-v2-local exited (${code}) before listening`)));
    child.once("message", (message: { port: number }) => resolve(message.port));
  });
  child.removeAllListeners("exit");
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    async count() {
      const response = await fetch(`${endpoint}/store`);
      return ((await response.json()) as { emails: unknown[] }).emails.length;
    },
    async emails() {
      const response = await fetch(`${endpoint}/store`);
      return (
        (await response.json()) as { emails: Array<{ headers?: Array<{ name: string; value: string }> }> }
      ).emails;
    },
    async clear() {
      await fetch(`${endpoint}/clear-store`, { method: "POST" });
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.disconnect();
      }),
  };
}

if (process.argv.includes("--serve") && process.send) await serve();
