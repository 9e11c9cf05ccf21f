import {
  FeedRedirectError,
  FeedStatusError,
  FeedTimeoutError,
  FeedTooLargeError,
  FeedUnreachableError,
  FeedUrlError,
} from "./errors.ts";

export interface BoundedGetOptions {
  /** the whole request, from connect to the last body byte, must finish within this */
  timeoutMs: number;
  /** the body is read up to this many bytes; more aborts the request */
  maxBytes: number;
  /** Accept header. @default "*\/*" */
  accept?: string;
}

export interface BoundedResponse {
  contentType: string;
  body: Buffer;
}

/**
 * GET an http(s) URL that must answer 200, with an overall deadline (not an idle timeout: a
 * server trickling one byte a second is stopped too) and a size cap enforced while the body
 * streams in. Whatever happens, the connection is released before this returns.
 */
export async function getBounded(url: string, options: BoundedGetOptions): Promise<BoundedResponse> {
  const target = new URL(url);
  const label = `GET ${target.origin}${target.pathname}`;
  if (target.protocol !== "http:" && target.protocol !== "https:") {
    throw new FeedUrlError(`${label}: only http and https URLs are fetched`);
  }
  const controller = new AbortController();
  const seconds = Math.round(options.timeoutMs / 100) / 10;
  const timer = setTimeout(
    () => controller.abort(new FeedTimeoutError(`${label} did not finish within ${seconds} s`)),
    options.timeoutMs,
  );
  try {
    const response = await fetchWithinOrigin(target, label, {
      signal: controller.signal,
      headers: { accept: options.accept ?? "*/*" },
    });
    if (response.status !== 200) {
      throw new FeedStatusError(response.status, `${label} answered ${response.status} (expected 200)`);
    }
    const declared = Number(response.headers.get("content-length") ?? NaN);
    if (declared > options.maxBytes) throw tooLarge(label, options.maxBytes);
    const body = await readCapped(response, options.maxBytes, label);
    return { contentType: response.headers.get("content-type") ?? "", body };
  } catch (error) {
    // An abort surfaces as whatever reason we gave it; anything else is a network failure.
    if (controller.signal.aborted && controller.signal.reason instanceof Error)
      throw controller.signal.reason;
    if (
      error instanceof FeedStatusError ||
      error instanceof FeedTooLargeError ||
      error instanceof FeedRedirectError
    )
      throw error;
    throw new FeedUnreachableError(`${label} failed: ${networkReason(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
    // Releases the socket of an unread or partly read body; a no-op after a complete read.
    controller.abort();
  }
}

const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * fetch, following redirects only within the URL's origin: what the feed says is mailed to
 * administrators as a security bulletin, so no other host (or a downgrade to http) may answer.
 */
async function fetchWithinOrigin(target: URL, label: string, init: RequestInit): Promise<Response> {
  let url = target;
  for (let hops = 0; ; hops++) {
    const response = await fetch(url, { ...init, redirect: "manual" });
    const location = response.headers.get("location");
    if (!REDIRECT_STATUSES.has(response.status) || location === null) return response;
    await response.body?.cancel();
    const next = new URL(location, url);
    if (next.origin !== target.origin) {
      throw new FeedRedirectError(
        `${label} redirected to ${next.protocol.startsWith("http") ? next.origin : next.protocol}, outside ${target.origin}`,
      );
    }
    if (hops === MAX_REDIRECTS) throw new FeedRedirectError(`${label}: more than ${MAX_REDIRECTS} redirects`);
    url = next;
  }
}

async function readCapped(response: Response, maxBytes: number, label: string): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.byteLength;
    if (total > maxBytes) throw tooLarge(label, maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function tooLarge(label: string, maxBytes: number): FeedTooLargeError {
  return new FeedTooLargeError(`${label}: the response is larger than ${maxBytes} bytes`);
}

/** "ECONNREFUSED" or the like from fetch's `cause`, else its message. */
function networkReason(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown }) : undefined;
  if (cause && typeof cause.code === "string") return cause.code;
  if (cause && typeof cause.message === "string") return cause.message;
  return error instanceof Error ? error.message : String(error);
}
