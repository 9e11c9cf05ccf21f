/**
 * Anchor (d) of the SMTP benchmark: a bare nodemailer pool (what Herald sends with, without
 * Herald around it) sending the same rendered messages to the same sink over the same number
 * of connections, every message handed to the pool at once.
 *
 * Run as a process (its own event loop, like `herald send`):
 *   node bench/nodemailer-pool-client.ts --port P --connections N --messages FILE
 * prints `{"seconds": ..., "cpuMs": ...}` (from the first send to the last reply).
 */
import { createTransport, type Transporter } from "nodemailer";
import { runSmtpClientProcess, type RawMessage } from "./raw-smtp-client.ts";

/** Herald's pool options (src/mail/smtp-transport.ts) on a plain-text loopback sink. */
export function benchPool(host: string, port: number, connections: number): Transporter {
  return createTransport({
    host,
    port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: connections,
    maxMessages: 100,
    socketCloseTimeout: 0,
  });
}

export async function nodemailerPoolSend(
  host: string,
  port: number,
  connections: number,
  messages: RawMessage[],
): Promise<void> {
  const pool = benchPool(host, port, connections);
  try {
    await Promise.all(
      messages.map((message) =>
        pool.sendMail({ envelope: { from: message.from, to: message.to }, raw: message.raw }),
      ),
    );
  } finally {
    pool.close();
  }
}

if (import.meta.main) await runSmtpClientProcess(nodemailerPoolSend);
