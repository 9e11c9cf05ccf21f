import { HeraldError, type HeraldErrorOptions } from "../errors.ts";

/**
 * Failures of the security-alert check, one class per failure mode. Each has a stable
 * `code` for the summary and logs, and a `hint` saying what to look at.
 */

/** The URL is not http(s). */
export class FeedUrlError extends HeraldError {
  override name = "FeedUrlError";
  readonly code = "EFEEDURL";
  override readonly hint = "the feed URL and bulletin links must be http or https";
}

/** The request (connect, headers and body together) did not finish within its deadline. */
export class FeedTimeoutError extends HeraldError {
  override name = "FeedTimeoutError";
  readonly code = "EFEEDTIMEOUT";
  override readonly hint =
    "the feed is slow or unreachable; HERALD_SECURITY_FEED_TIMEOUT sets the seconds allowed";
}

/** The response is larger than the cap. */
export class FeedTooLargeError extends HeraldError {
  override name = "FeedTooLargeError";
  readonly code = "EFEEDTOOLARGE";
  override readonly hint =
    "the feed answered more than Herald reads; check HERALD_SECURITY_FEED_URL points at the feed";
}

/** The server could not be reached (DNS, refused, reset, TLS). */
export class FeedUnreachableError extends HeraldError {
  override name = "FeedUnreachableError";
  readonly code = "EFEEDUNREACHABLE";
  override readonly hint =
    "check HERALD_SECURITY_FEED_URL, DNS and outbound network access (a VPC needs a NAT)";
}

/** The feed redirected to another origin (or kept redirecting): its answer is not trusted. */
export class FeedRedirectError extends HeraldError {
  override name = "FeedRedirectError";
  readonly code = "EFEEDREDIRECT";
  override readonly hint =
    "only redirects within the feed's own origin are followed; if the new place is right, set HERALD_SECURITY_FEED_URL to it";
}

/** The server answered with a status other than 200. */
export class FeedStatusError extends HeraldError {
  override name = "FeedStatusError";
  readonly code = "EFEEDSTATUS";
  override readonly hint = "the feed refused the request; try again later or check HERALD_SECURITY_FEED_URL";
  readonly status: number;
  constructor(status: number, message: string, options?: HeraldErrorOptions) {
    super(message, options);
    this.status = status;
  }
}

/** The body is not what the feed promises (JSON list of bulletins, or an HTML body). */
export class FeedMalformedError extends HeraldError {
  override name = "FeedMalformedError";
  readonly code = "EFEEDMALFORMED";
  override readonly hint =
    "the feed answered something else than its documented format; check HERALD_SECURITY_FEED_URL";
}

/** Another run took the (bulletin, administrator) claim over after this run's lease ran out. */
export class ClaimLostError extends HeraldError {
  override name = "ClaimLostError";
  readonly code = "ECLAIMLOST";
  override readonly hint = "a send outlasted the claim's lease; the other run may send the bulletin again";
}

/** The state file exists but is not Herald's. */
export class StateFileError extends HeraldError {
  override name = "StateFileError";
  readonly code = "ESTATEFILE";
  override readonly hint = "--state names a JSON file Herald created; pass a new path or fix the file";
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
