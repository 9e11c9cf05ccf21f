/**
 * Names shared by the runtime (handlers, CLI) and the CDK app. Kept free of imports so
 * both sides can depend on it without pulling the other in.
 */

/** Environment variable naming a Mattermost-shaped config.json to read settings from. */
export const CONFIG_FILE_ENV = "HERALD_CONFIG_FILE";

/** Environment variable holding the SSM prefix of the settings parameters. */
export const PARAMETER_PREFIX_ENV = "HERALD_PARAMETER_PREFIX";

/** Environment variable naming the transport, one of TRANSPORTS. */
export const TRANSPORT_ENV = "HERALD_TRANSPORT";

/** How mail leaves: SES SMTP endpoint, any SMTP server, or the SES v2 API. */
export const TRANSPORTS = ["ses-smtp", "smtp", "ses-api"] as const;
export type Transport = (typeof TRANSPORTS)[number];
export const DEFAULT_TRANSPORT: Transport = "ses-smtp";

/** Default SSM prefix of the settings parameters. */
export const DEFAULT_PARAMETER_PREFIX = "/herald";

/** How Mattermost shows a stored secret: the password never leaves the settings store. */
export const MASKED_SECRET = "********************************";

/**
 * An SSM path as GetParametersByPath and IAM want it: one leading slash, no trailing slash
 * (`herald/` becomes `/herald`).
 */
export function normalizePrefixPath(prefix: string): string {
  return `/${prefix.trim().replace(/^\/+/, "").replace(/\/+$/, "")}`;
}

/** The SSM parameter that holds one setting: `<prefix>/EmailSettings/SMTPServer`. */
export function parameterName(prefix: string, settingPath: string): string {
  return `${normalizePrefixPath(prefix)}/${settingPath.replace(".", "/")}`;
}

/** The environment variable that overrides one setting: `MM_EMAILSETTINGS_SMTPSERVER`. */
export function envVarName(settingPath: string): string {
  return `MM_${settingPath.replace(".", "_").toUpperCase()}`;
}

/** DynamoDB table for idempotency and sent-bulletin records (partition key `id`, TTL `expiration`). */
export const TABLE_NAME_ENV = "HERALD_TABLE_NAME";

/** SQS queue URL where permanently failed notifications go, with their reason. */
export const DEAD_LETTER_QUEUE_URL_ENV = "HERALD_DEAD_LETTER_QUEUE_URL";

/** SES configuration set used for `ses-api` sends. */
export const CONFIGURATION_SET_ENV = "HERALD_CONFIGURATION_SET";

/** Emails per second per function instance. */
export const MAX_SEND_RATE_ENV = "HERALD_MAX_SEND_RATE";

/**
 * Limits of HERALD_MAX_SEND_RATE, shared by the runtime (which refuses others at start) and
 * the stack (which derives each instance's rate): the limiter keeps one slot per email of a
 * second's rate (a billion would not fit in memory) and waits 1/rate seconds between emails
 * (a wait setTimeout must be able to hold). The stack writes the rate with three decimals.
 */
export const SEND_RATE_LIMITS = { min: 0.001, max: 100_000 } as const;

/** Base URL of the security bulletin feed. */
export const SECURITY_FEED_URL_ENV = "HERALD_SECURITY_FEED_URL";

/** Seconds per security feed request. */
export const SECURITY_FEED_TIMEOUT_ENV = "HERALD_SECURITY_FEED_TIMEOUT";

/** The product version security bulletins are matched against. */
export const PRODUCT_VERSION_ENV = "HERALD_PRODUCT_VERSION";

/** Sent to the security feed as `id`. */
export const INSTALLATION_ID_ENV = "HERALD_INSTALLATION_ID";

/** Security-alert check: most bulletins emailed in one run (a hostile feed cannot flood). */
export const SECURITY_MAX_BULLETINS_ENV = "HERALD_SECURITY_MAX_BULLETINS";

/** Comma-separated administrator addresses (security bulletins). */
export const ADMIN_EMAILS_ENV = "HERALD_ADMIN_EMAILS";

/** The EventBridge bus the feedback handler publishes NotificationFeedback events on. */
export const EVENT_BUS_NAME_ENV = "HERALD_EVENT_BUS_NAME";

/** CloudWatch namespace of Herald's own metrics (Powertools Metrics). */
export const METRICS_NAMESPACE = "Herald";

/** `source` of the events Herald publishes (NotificationFeedback). */
export const EVENT_SOURCE = "herald";

/** detail-type of the events applications put on the bus to send a notification. */
export const NOTIFICATION_DETAIL_TYPE = "Notification";

/** detail-type of the bounce, complaint, reject, delay and delivery events Herald publishes. */
export const FEEDBACK_DETAIL_TYPE = "NotificationFeedback";

/** SES message tags the send path sets and the feedback handler reads back. */
export const MESSAGE_TAG_NOTIFICATION_ID = "id";
export const MESSAGE_TAG_CATEGORY = "category";

/** Security-alert check: the bulletin feed's default base URL. */
export const DEFAULT_SECURITY_FEED_URL = "https://securityupdatecheck.mattermost.com";

/**
 * Security-alert check: default most bulletins emailed per run (to every administrator);
 * the rest wait for the next runs. A real release rarely has more than a few.
 */
export const DEFAULT_SECURITY_MAX_BULLETINS = 10;

/** Security-alert check: default seconds allowed for each feed request, body included. */
export const DEFAULT_SECURITY_FEED_TIMEOUT_SECONDS = 10;

/** Metrics the feedback handler emits (count of recipients per SES event type). */
export const FEEDBACK_METRIC_NAMES = {
  bounce: "Bounces",
  complaint: "Complaints",
  delivery: "Deliveries",
  reject: "Rejects",
  deliveryDelay: "DeliveryDelays",
} as const;
