/**
 * Listening on loopback, shared by every local server of the sandbox and the tests: 127.0.0.1
 * only, port 0 for any free one, and a refusal (port taken, not allowed) as a rejected promise
 * carrying the socket error's code rather than an unhandled "error" event.
 */
import net from "node:net";
import type { AddressInfo } from "node:net";
import { HeraldError } from "../../src/errors.ts";

export const LOOPBACK = "127.0.0.1";

/** Why a server could not listen: the port and the socket error's code (EADDRINUSE, EACCES). */
export class ListenError extends HeraldError {
  override name = "ListenError";
  readonly code: string;
  readonly port: number;
  constructor(port: number, code: string, options?: { cause?: unknown }) {
    super(`cannot listen on ${LOOPBACK}:${port} (${code})`, options);
    this.code = code;
    this.port = port;
  }
}

function listenError(port: number, error: unknown): ListenError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? "ERROR";
  return new ListenError(port, code, { cause: error });
}

/** Listen on 127.0.0.1:port (0: any free port); resolves with the port it got. */
export function listenOnLoopback(server: net.Server, port = 0): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onError = (error: Error): void => reject(listenError(port, error));
    server.once("error", onError);
    server.listen(port, LOOPBACK, () => {
      server.off("error", onError);
      resolve(portOf(server));
    });
  });
}

/**
 * For a server some library started and that did not say why it is not listening: bind the
 * same port once more to learn the reason, then let it go.
 */
export async function whyNotListening(port: number): Promise<ListenError> {
  const probe = net.createServer();
  try {
    await listenOnLoopback(probe, port);
    return new ListenError(port, "ENOTLISTENING");
  } catch (error) {
    return error instanceof ListenError ? error : listenError(port, error);
  } finally {
    if (probe.listening) await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
}

export function portOf(server: net.Server): number {
  const address = server.address() as AddressInfo | string | null;
  if (!address || typeof address === "string") {
    throw new Error("server is not listening on a TCP port");
  }
  return address.port;
}
