import * as z from "../zod.ts";
import { getBounded } from "./bounded-fetch.ts";
import { FeedMalformedError } from "./errors.ts";

/** No feed answer is read beyond this (the list and each bulletin body). */
export const MAX_FEED_RESPONSE_BYTES = 1024 * 1024;

/**
 * Bulletin ids end up in a URL path and in record keys (`bulletin#<id>#<admin>`), so only
 * plain tokens are accepted.
 */
const bulletinId = z.string().check(
  z.regex(/^[A-Za-z0-9._-]{1,128}$/, "must be 1 to 128 letters, digits, '.', '_' or '-'"),
  z.refine((id) => id !== "." && id !== "..", "must not be '.' or '..'"),
);

export const bulletinListSchema = z.array(
  z.looseObject({
    id: bulletinId,
    applies_to_version: z.string().check(z.trim(), z.minLength(1, "must not be empty"), z.maxLength(256)),
  }),
);

export type Bulletin = z.infer<typeof bulletinListSchema>[number];

export interface FeedClientOptions {
  /** base URL, without a trailing slash */
  feedUrl: string;
  /** overall bound per request */
  timeoutMs: number;
}

/** `GET <feed>/security?id=<installation id>&b=<version>` -> the bulletins the feed lists. */
export async function listBulletins(
  options: FeedClientOptions,
  query: { installationId: string; productVersion: string },
): Promise<Bulletin[]> {
  const url = feedEndpoint(options.feedUrl, "security");
  url.searchParams.set("id", query.installationId);
  url.searchParams.set("b", query.productVersion);
  const { body } = await getBounded(url.href, {
    timeoutMs: options.timeoutMs,
    maxBytes: MAX_FEED_RESPONSE_BYTES,
    accept: "application/json",
  });
  let json: unknown;
  try {
    // A byte-order mark is not JSON, but some servers send one.
    json = JSON.parse(body.toString("utf8").replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new FeedMalformedError(`the bulletin list is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const parsed = bulletinListSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.length ? issue.path.join(".") : "list"}: ${issue.message}`);
    throw new FeedMalformedError(
      `the bulletin list does not match [{ id, applies_to_version }]: ${issues.join("; ")}`,
    );
  }
  return parsed.data;
}

/** `GET <feed>/bulletins/<id>`: must answer 200; the body is the bulletin's HTML. */
export async function fetchBulletinHtml(options: FeedClientOptions, id: string): Promise<string> {
  const url = feedEndpoint(options.feedUrl, `bulletins/${encodeURIComponent(id)}`);
  const { body } = await getBounded(url.href, {
    timeoutMs: options.timeoutMs,
    maxBytes: MAX_FEED_RESPONSE_BYTES,
    accept: "text/html",
  });
  const html = new TextDecoder("utf-8").decode(body);
  if (html.trim() === "") throw new FeedMalformedError(`bulletin ${id} has an empty body`);
  return html;
}

/** A path under the feed base, which may itself have a path (`https://host/feed`). */
function feedEndpoint(feedUrl: string, path: string): URL {
  return new URL(path, `${feedUrl.replace(/\/+$/, "")}/`);
}
