// The SES v2 API's refusals as SMTP replies, without the SDK: the notification pipeline
// classifies with them on every path, and only the ses-api transport loads the SES client.

/**
 * SES API errors as the SMTP reply SES's own SMTP endpoint gives for the same cause, so one
 * classifier decides retry versus dead letter for both transports (an HTTP 400 is not an
 * SMTP 4xx: a rejected message must not be retried).
 */
export const SES_ERRORS_AS_SMTP: Record<string, [number, string, "account"?]> = {
  TooManyRequestsException: [454, "4.7.0 Throttling failure: Maximum sending rate exceeded."],
  ThrottlingException: [454, "4.7.0 Throttling failure: Maximum sending rate exceeded."],
  LimitExceededException: [454, "4.7.0 Throttling failure: Daily message quota exceeded."],
  MessageRejected: [554, "5.7.1 Message rejected"],
  MailFromDomainNotVerifiedException: [
    554,
    "5.7.1 Email address is not verified (MAIL FROM domain)",
    "account",
  ],
  AccountSuspendedException: [554, "5.7.1 Sending is suspended for this account", "account"],
  SendingPausedException: [554, "5.7.1 Sending is paused for this account or configuration set", "account"],
  NotFoundException: [554, "5.3.5 Configuration set or identity not found", "account"],
  BadRequestException: [554, "5.6.0 Bad request"],
};

/**
 * SES refusals that are about the account or its setup, not the message: every message would
 * get the same one (the notification pipeline retries them rather than dead-lettering).
 */
export const SES_ACCOUNT_ERRORS: ReadonlySet<string> = new Set(
  Object.entries(SES_ERRORS_AS_SMTP)
    .filter(([, [, , kind]]) => kind === "account")
    .map(([name]) => name),
);
