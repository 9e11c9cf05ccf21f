/**
 * Failures of the security-alert check, one class per failure mode. Each has a stable
 * `code` for the summary and logs, and a `hint` saying what to look at.
 */

/** The URL is not http(s). */
export class FeedUrlError extends Error {
  override name = "FeedUrlError";
  readonly code = "EFEEDURL";
  readonly hint = "the feed URL and bulletin links must be http or https";
}

/** The request (connect, headers and body together) did not finish within its deadline. */
export class FeedTimeoutError extends Error {
  override name = "FeedTimeoutError";
  readonly code = "EFEEDTIMEOUT";
  readonly hint = "the feed is slow or unreachable; HERALD_SECURITY_FEED_TIMEOUT sets the seconds allowed";
}

/** The response is larger than the cap. */
export class FeedTooLargeError extends Error {
  override name = "FeedTooLargeError";
  readonly code = "EFEEDTOOLARGE";
  readonly hint =
    "the feed answered more than Herald reads; check HERALD_SECURITY_FEED_URL points at the feed";
}

/** The server could not be reached (DNS, refused, reset, TLS). */
export class FeedUnreachableError extends Error {
  override name = "FeedUnreachableError";
  readonly code = "EFEEDUNREACHABLE";
  readonly hint = "check HERALD_SECURITY_FEED_URL, DNS and outbound network access (a VPC needs a NAT)";
}

/** The feed redirected to another origin (or kept redirecting): its answer is not trusted. */
export class FeedRedirectError extends Error {
  override name = "FeedRedirectError";
  readonly code = "EFEEDREDIRECT";
  readonly hint =
    "only redirects within the feed's own origin are followed; if the new place is right, set HERALD_SECURITY_FEED_URL to it";
}

/** The server answered with a status other than 200. */
export class FeedStatusError extends Error {
  override name = "FeedStatusError";
  readonly code = "EFEEDSTATUS";
  readonly hint = "the feed refused the request; try again later or check HERALD_SECURITY_FEED_URL";
  readonly status: number;
  constructor(status: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
  }
}

/** The body is not what the feed promises (JSON list of bulletins, or an HTML body). */
export class FeedMalformedError extends Error {
  override name = "FeedMalformedError";
  readonly code = "EFEEDMALFORMED";
  readonly hint =
    "the feed answered something else than its documented format; check HERALD_SECURITY_FEED_URL";
}

/** Another run took the (bulletin, administrator) claim over after this run's lease ran out. */
export class ClaimLostError extends Error {
  override name = "ClaimLostError";
  readonly code = "ECLAIMLOST";
  readonly hint = "a send outlasted the claim's lease; the other run may send the bulletin again";
}

/** The state file exists but is not Herald's. */
export class StateFileError extends Error {
  override name = "StateFileError";
  readonly code = "ESTATEFILE";
  readonly hint = "--state names a JSON file Herald created; pass a new path or fix the file";
}

export type SecurityCheckError =
  | FeedUrlError
  | FeedRedirectError
  | FeedTimeoutError
  | FeedTooLargeError
  | FeedUnreachableError
  | FeedStatusError
  | FeedMalformedError
  | ClaimLostError
  | StateFileError;

/** "EFEEDTIMEOUT: GET /security timed out after 10 s" for an error of any kind. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    // Node's own errors already begin with their code ("EACCES: permission denied, open ...")
    const named = typeof code === "string" && code !== "" && !error.message.startsWith(code);
    return named ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
