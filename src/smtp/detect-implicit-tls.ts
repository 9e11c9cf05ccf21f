import { connect, type TLSSocket } from "node:tls";

/**
 * Does the server answer a TLS handshake from the first byte? Used when a plain or
 * STARTTLS session has had no greeting for a while: an implicit-TLS port (465) waits for
 * a ClientHello while the client waits for "220", and both would sit out the timeout.
 * Resolves false on any failure, after `timeoutMs` or when `signal` aborts; never rejects.
 */
export function speaksImplicitTls(
  host: string,
  port: number,
  servername: string | undefined,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<boolean> {
  return new Promise((resolve) => {
    let socket: TLSSocket | undefined;
    const done = (answer: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", abort);
      socket?.destroy();
      resolve(answer);
    };
    const abort = () => done(false);
    const timer = setTimeout(abort, timeoutMs);
    if (signal?.aborted) return abort();
    signal?.addEventListener("abort", abort, { once: true });
    try {
      socket = connect({ host, port, rejectUnauthorized: false, ...(servername ? { servername } : {}) }, () =>
        done(true),
      );
      socket.once("error", abort);
      socket.once("close", abort);
    } catch {
      abort();
    }
  });
}
