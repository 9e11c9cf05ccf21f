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

/** SES configuration set for SES sends: the API's parameter, or a header over SES SMTP. */
export const CONFIGURATION_SET_ENV = "HERALD_CONFIGURATION_SET";

/**
 * The sender the deployment lets this function send as: an address (transport ses-smtp: the
 * SMTP user may send only as it) or a domain (ses-api: any address in it). Absent: no limit.
 */
export const ALLOWED_SENDER_ENV = "HERALD_ALLOWED_SENDER";

/** The send-notification function's timeout, in seconds (settings validation checks a send fits). */
export const SEND_TIMEOUT_ENV = "HERALD_SEND_TIMEOUT_SECONDS";

/** Validation: the SES identity the deployment sends through (the domain, or a parent of it). */
export const SES_IDENTITY_ENV = "HERALD_SES_IDENTITY";

/** Emails per second per function instance. */
export const MAX_SEND_RATE_ENV = "HERALD_MAX_SEND_RATE";

/**
 * Limits of HERALD_MAX_SEND_RATE, shared by the runtime (which refuses others at start) and
 * the stack (which derives each instance's rate): the limiter keeps one slot per email of a
 * second's rate (a billion would not fit in memory) and waits 1/rate seconds between emails
 * (a wait setTimeout must be able to hold). The stack writes the rate with three decimals.
 */
export const SEND_RATE_LIMITS = { min: 0.001, max: 100_000 } as const;

/** HERALD_MAX_SEND_RATE when unset, and the stack's maxSendRate default: a new production SES account's rate. */
export const DEFAULT_MAX_SEND_RATE = 14;

/**
 * Each function's Powertools service name: its log lines' `service` and its metrics' `service`
 * dimension, which the dashboard and alarms (lib/monitoring.ts) select by.
 */
export const SERVICE_NAMES = {
  sendNotification: "herald-send-notification",
  feedback: "herald-feedback",
  status: "herald-status",
  testSend: "herald-test-send",
  validateSettings: "herald-validate-settings",
  securityAlertCheck: "herald-security-alert-check",
  smtpCredentials: "herald-smtp-credentials",
} as const;

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

/**
 * SES message tags the send path sets and the feedback handler reads back. The id is encoded
 * reversibly (src/ses/message-tags.ts): a tag value cannot hold most characters.
 */
export const MESSAGE_TAG_NOTIFICATION_ID = "notification-id";
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

/** Days a notification's status record is kept (DynamoDB TTL from the send). @default 30 */
export const STATUS_RETENTION_DAYS_ENV = "HERALD_STATUS_RETENTION_DAYS";
export const DEFAULT_STATUS_RETENTION_DAYS = 30;

/** How status records keep recipients' addresses: "plain" (as given) or "hashed" (SHA-256). */
export const STATUS_ADDRESSES_ENV = "HERALD_STATUS_ADDRESSES";
export const STATUS_ADDRESS_FORMS = ["plain", "hashed"] as const;
export type StatusAddressForm = (typeof STATUS_ADDRESS_FORMS)[number];

/** Partition keys of status records: `status#<notification id>` (IAM conditions use the prefix). */
export const STATUS_KEY_PREFIX = "status#";

/**
 * Time-to-inbox and per-category metrics (EMF, namespace Herald): ms from a Notification
 * event's arrival to the transport accepting it (send-notification), ms from SES accepting a
 * message to its delivery, and bounces and delivery delays per category (feedback).
 */
export const STATUS_METRIC_NAMES = {
  timeToAccept: "TimeToAccept",
  timeToDelivery: "TimeToDelivery",
  bouncesByCategory: "BouncesByCategory",
  delaysByType: "DeliveryDelaysByType",
} as const;
/** Dimensions of the per-category counts. */
export const BOUNCE_CATEGORY_DIMENSION = "BounceCategory";
export const DELAY_TYPE_DIMENSION = "DelayType";

/**
 * The notification queue's redrive policy: SQS moves a record to the dead-letter queue after
 * this many receives. The pipeline reads a record's ApproximateReceiveCount against it, so
 * the last receive dead-letters what is still pending with its reason.
 */
export const MAX_RECEIVE_COUNT = 5;

/**
 * The send-notification function's timeout by default. A send starts only when the time left
 * covers its whole bound (the transport's `sendBoundMs`) plus SEND_RESERVE_MS, so with the
 * default SMTPServerTimeout (10 s, 4 stages: 40 s) sends start in the first 18 s.
 */
export const SEND_FUNCTION_TIMEOUT_SECONDS = 60;

/**
 * Kept back at an invocation's end after a send's bound: the completing write (retried) and
 * the batch response. Every DynamoDB and dead-letter call is bounded by the invocation's end
 * less SEND_RESPONSE_MARGIN_MS, so middy's timeout never fails a batch after sends.
 */
export const SEND_RESERVE_MS = 2_000;
export const SEND_RESPONSE_MARGIN_MS = 500;

/** How a send whose outcome is unknown is handled: one of UNKNOWN_OUTCOME_POLICIES. */
export const UNKNOWN_OUTCOME_ENV = "HERALD_UNKNOWN_OUTCOME";

/**
 * "at-least-once" (default): the record is delivered again and sent again (a possible second
 * copy); "at-most-once": the record is completed as sent-unknown (a possible lost copy).
 */
export const UNKNOWN_OUTCOME_POLICIES = ["at-least-once", "at-most-once"] as const;
export type UnknownOutcomePolicy = (typeof UNKNOWN_OUTCOME_POLICIES)[number];
