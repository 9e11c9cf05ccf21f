/**
 * aws-ses-v2-local (the SES v2 API emulator) on 127.0.0.1 (port 0: any free one), and an SDK
 * client pointed at it. The emulator keeps one store per process: `clear()` empties it. Its
 * own page (`/`) lists what it stored; the sandbox's mail page shows those messages too.
 */
import type { IncomingMessage, Server } from "node:http";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import sesModule from "aws-ses-v2-local";
import { portOf, whyNotListening } from "./listen.ts";

/** One message as the emulator stored it. */
export interface StoredSesEmail {
  messageId: string;
  from: string;
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  replyTo: string[];
  body: { text?: string; html?: string };
  /** parsed from the raw message (SendEmail with Content.Raw) */
  headers?: Array<{ name: string; value: string }>;
  at: number;
}

/** One SendEmail request as it arrived (the emulator keeps no header of Raw content). */
export interface SendEmailRequest {
  FromEmailAddress?: string;
  Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
  /** Raw.Data is the message's MIME, base64 */
  Content: { Raw?: { Data: string }; Simple?: Record<string, unknown> };
  ConfigurationSetName?: string;
  EmailTags?: Array<{ Name: string; Value: string }>;
}

export interface LocalSes {
  /** http://127.0.0.1:<port> — what AWS_ENDPOINT_URL_SESV2 takes */
  endpoint: string;
  client: SESv2Client;
  emails(): Promise<StoredSesEmail[]>;
  /** the SendEmail requests received since the last clear(), in order */
  requests(): SendEmailRequest[];
  clear(): Promise<void>;
  close(): Promise<void>;
}

// A CommonJS module with `exports.default`: Node's ESM import gives the exports object
// (the function is its `.default`), vitest's interop gives the function itself.
type StartServer = (config?: { host?: string; port?: number }) => Promise<Server>;
const loaded = sesModule as unknown as StartServer | { default: StartServer };
const startServer: StartServer = typeof loaded === "function" ? loaded : loaded.default;

export interface LocalSesOptions {
  /** 127.0.0.1 port; 0 picks a free one. @default 0 */
  port?: number;
}

export async function startLocalSes(options: LocalSesOptions = {}): Promise<LocalSes> {
  const server: Server = await startServer({ host: "127.0.0.1", port: options.port ?? 0 });
  // Express hands a listen error to the callback, which the emulator ignores: ask why.
  if (!server.listening) throw await whyNotListening(options.port ?? 0);
  const port = portOf(server);
  let requests: SendEmailRequest[] = [];
  // Read beside the emulator's own body parser: both listen to the same request stream.
  server.prependListener("request", (request: IncomingMessage) => {
    if (request.method !== "POST" || request.url !== "/v2/email/outbound-emails") return;
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      // a body that is not JSON is the emulator's to refuse; it must not throw here
      try {
        requests.push(JSON.parse(Buffer.concat(chunks).toString()) as SendEmailRequest);
      } catch {
        // not recorded
      }
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new SESv2Client({
    endpoint,
    region: "eu-west-1",
    credentials: { accessKeyId: "AKIDLOCAL", secretAccessKey: "local-secret" },
    maxAttempts: 1,
  });
  return {
    endpoint,
    client,
    async emails() {
      const response = await fetch(`${endpoint}/store`);
      return ((await response.json()) as { emails: StoredSesEmail[] }).emails;
    },
    requests: () => requests,
    async clear() {
      requests = [];
      await fetch(`${endpoint}/clear-store`, { method: "POST" });
    },
    async close() {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
