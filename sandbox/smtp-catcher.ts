import { SMTPServer } from "smtp-server";
import { parseSubject } from "./headers.ts";
import { generateTestCertificate } from "./certificate.ts";

export interface CaughtMessage {
  from: string;
  to: string[];
  subject: string;
  bytes: number;
  secure: boolean;
}

export interface SmtpCatcher {
  port: number;
  close(): Promise<void>;
}

/**
 * A local SMTP server that accepts every message and reports it: plain or STARTTLS (with a
 * certificate made at start), AUTH optional. Binds 127.0.0.1 only.
 */
export async function startSmtpCatcher(
  port: number,
  onMessage: (message: CaughtMessage) => void,
): Promise<SmtpCatcher> {
  const { key, cert } = await generateTestCertificate();
  const server = new SMTPServer({
    name: "sandbox.herald.localhost",
    key,
    cert,
    logger: false,
    authOptional: true,
    disableReverseLookup: true,
    onAuth: (auth, _session, callback) => callback(null, { user: auth.username }),
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks);
        onMessage({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: parseSubject(raw.toString("utf8")).subject ?? "(no subject)",
          bytes: raw.length,
          secure: session.secure,
        });
        callback();
      });
    },
  });
  server.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
