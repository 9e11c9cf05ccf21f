import { connect, type TLSSocket } from "node:tls";

/**
 * Does the server answer a TLS handshake from the first byte? Used when a plain or
 * STARTTLS session has had no greeting for a while: an implicit-TLS port (465) waits for
 * a ClientHello while the client waits for "220", and both would sit out the timeout.
 * Resolves false on any failure or after `timeoutMs`; never rejects.
 */
export function speaksImplicitTls(
  host: string,
  port: number,
  servername: string | undefined,
  timeoutMs: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    let socket: TLSSocket | undefined;
    const done = (answer: boolean) => {
      clearTimeout(timer);
      socket?.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    timer.unref();
    try {
      socket = connect({ host, port, rejectUnauthorized: false, ...(servername ? { servername } : {}) }, () =>
        done(true),
      );
      socket.once("error", () => done(false));
      socket.once("close", () => done(false));
    } catch {
      done(false);
    }
  });
}
