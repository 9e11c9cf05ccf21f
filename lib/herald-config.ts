// Deployment configuration (DESIGN.md section 9): the cdk.json context keys, or `-c key=value`,
// read and checked once by bin/app.ts before anything is created, so that a typo fails
// `cdk synth` with the key, the rule and the value given, rather than a deployed Lambda.
import { Token } from "aws-cdk-lib";
import type { Node } from "constructs";
import semver from "semver";
import {
  DEFAULT_PARAMETER_PREFIX,
  DEFAULT_SECURITY_FEED_URL,
  DEFAULT_TRANSPORT,
  normalizePrefixPath,
  SEND_RESERVE_MS,
  TRANSPORTS,
  type Transport,
} from "../src/constants.ts";
import {
  LAMBDA_MAX_TIMEOUT_SECONDS,
  MAX_DEPLOYABLE_STAGE_SECONDS,
  SEND_STAGE_COUNT,
  SEND_START_WINDOW_SECONDS,
  sendFunctionTimeoutSeconds,
} from "../src/send-timing.ts";
import { IMPLICIT_TLS_PORTS, SES_SMTP_REGIONS, STARTTLS_PORTS } from "../src/ses/regions.ts";
import {
  MAX_SMTP_TIMEOUT_SECONDS,
  connectionSecurityOf,
  isConnectionSecurity,
} from "../src/settings/model.ts";
import type { ConnectionSecurity, SmtpServerSettings } from "./email-settings-parameters.ts";
import {
  DEFAULT_BOUNCE_RATE_THRESHOLD,
  DEFAULT_COMPLAINT_RATE_THRESHOLD,
  SES_REVIEW_RATES,
} from "./monitoring.ts";
import { DEFAULT_MAX_SEND_RATE } from "./notification-pipeline.ts";
import { LOG_LEVELS, type LogLevel } from "./private/herald-function.ts";
import {
  addressDomain,
  HeraldConfigError,
  isDnsLabel,
  isDomainName,
  isEmailAddress,
  isHttpUrl,
  isScheduleExpression,
  isWithinDomain,
  prefixProblem,
} from "./private/validate.ts";
import { DEFAULT_SECURITY_CHECK_SCHEDULE } from "./security-alerts.ts";
import { DMARC_POLICIES, FEEDBACK_EVENTS, type DmarcPolicy } from "./sending-domain.ts";
import type { EmailSendingEvent } from "aws-cdk-lib/aws-ses";

export { DEFAULT_TRANSPORT, HeraldConfigError, TRANSPORTS, type Transport };

/** `a`, `b` or `c`, for the values a key accepts. */
function codeList(values: readonly string[]): string {
  const quoted = values.map((v) => `\`${v}\``);
  return `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}`;
}

/** One deployment key, as docs/deploy.md shows it. */
export interface ContextKeyDoc {
  /** what it sets */
  readonly meaning: string;
  /** the values it takes (the rule the reader checks) */
  readonly accepts: string;
  /** what applies without it */
  readonly default: string;
}

/**
 * The deployment keys' registry, as src/settings/model.ts is the settings': each key's meaning,
 * what it accepts and its default. The readers below check each rule; the table in
 * docs/deploy.md is rendered from this list (contextKeysTable) and a test keeps them equal.
 */
export const CONTEXT_KEYS = {
  domain: {
    accepts: "a domain name, e.g. example.com",
    meaning: "the sending domain (SES identity)",
    default: "required",
  },
  hostedZoneId: {
    accepts: "`Z` and capital letters and digits",
    meaning: "Route 53 public zone id: DNS records are created in it",
    default: "none: records are outputs",
  },
  hostedZoneName: {
    accepts: "a domain name containing `domain`; with `hostedZoneId`",
    meaning: "that zone's name (the domain or a parent of it)",
    default: "none",
  },
  senderAddress: {
    accepts: "an email address in `domain`",
    meaning: "FeedbackEmail, in `domain`",
    default: "notifications@<domain>",
  },
  senderName: {
    accepts: "text without line breaks",
    meaning: "FeedbackName",
    default: '""',
  },
  adminEmails: {
    accepts: "email addresses, comma-separated",
    meaning: "comma-separated: security bulletins and alarm emails",
    default: "required",
  },
  siteUrl: {
    accepts: "an http(s) URL",
    meaning: "SiteURL: EHLO name and Message-ID domain",
    default: "none",
  },
  siteName: {
    accepts: "text without line breaks",
    meaning: "SiteName: subject prefix `[SiteName]`",
    default: "the settings' default (Herald)",
  },
  productVersion: {
    accepts: "MAJOR.MINOR.PATCH, e.g. 9.11.2",
    meaning: "version the security-alert check matches bulletins against",
    default: "none: check disabled",
  },
  securityFeedUrl: {
    accepts: "an http(s) URL",
    meaning: "security bulletin feed",
    default: DEFAULT_SECURITY_FEED_URL,
  },
  transport: {
    accepts: codeList(TRANSPORTS),
    meaning: "`ses-smtp`, `smtp` or `ses-api`",
    default: DEFAULT_TRANSPORT,
  },
  smtpServer: {
    accepts: "a host name or IP address; `smtp` only",
    meaning: "SMTPServer (transport `smtp`)",
    default: "required for `smtp`",
  },
  smtpPort: {
    accepts: "`smtp`: 1 to 65535; `ses-smtp`: 465, 2465, 587, 2587 or 25; not `ses-api`",
    meaning: "SMTPPort (`smtp`; or an SES SMTP port for `ses-smtp`)",
    default: "587 (`smtp`), 465 (`ses-smtp`)",
  },
  connectionSecurity: {
    accepts: '`TLS`, `STARTTLS`, `""` or `PLAIN`; `ses-smtp`: the port\'s; not `ses-api`',
    meaning: '`TLS`, `STARTTLS` or `""` (transport `smtp`)',
    default: "STARTTLS",
  },
  smtpServerTimeout: {
    accepts: `whole seconds, 1 to ${MAX_DEPLOYABLE_STAGE_SECONDS}; not \`ses-api\``,
    meaning: `SMTPServerTimeout, seconds per SMTP stage; the send function's timeout follows it (at most ${MAX_DEPLOYABLE_STAGE_SECONDS})`,
    default: "the settings' default (10): a 60 s send function",
  },
  parameterPrefix: {
    accepts: "an SSM path, not under `/aws` or `/ssm`",
    meaning: "SSM prefix of the settings",
    default: DEFAULT_PARAMETER_PREFIX,
  },
  mailFromSubdomain: {
    accepts: "a DNS label",
    meaning: "custom MAIL FROM domain `<sub>.<domain>`",
    default: "bounce",
  },
  dmarcPolicy: {
    accepts: `${codeList(DMARC_POLICIES)}; not with \`existingDmarc\``,
    meaning: "`_dmarc` policy: `none`, `quarantine` or `reject`",
    default: "none",
  },
  dmarcReportEmail: {
    accepts: "an email address; not with `existingDmarc`",
    meaning: "DMARC aggregate reports (`rua`)",
    default: "none",
  },
  securityCheckSchedule: {
    accepts: "`rate(...)` or `cron(...)`",
    meaning: "EventBridge Scheduler `rate(...)` or `cron(...)`",
    default: DEFAULT_SECURITY_CHECK_SCHEDULE,
  },
  maxSendRate: {
    accepts: "a positive number",
    meaning: "emails per second across all senders: SES's sending rate (SQS concurrency, per-function limit)",
    default: String(DEFAULT_MAX_SEND_RATE),
  },
  credentialsSerial: {
    accepts: "any text",
    meaning: "change it to rotate the SMTP credentials",
    default: "1",
  },
  credentialsGracePeriod: {
    accepts: "`<n> minutes`, `hours`, `days`, or `0`",
    meaning:
      "how long the previous SMTP key stays active after a rotation (`12 hours`, `2 days`; `0`: deleted at once)",
    default: "1 day",
  },
  credentialsRotationInterval: {
    accepts: "a duration of at least an hour, longer than the grace period",
    meaning: "rotate the SMTP credentials on a schedule too (`90 days`)",
    default: "none: only `credentialsSerial` rotates",
  },
  previousParameterPrefix: {
    accepts: "an SSM path",
    meaning:
      "the `parameterPrefix` before a change, for that one deployment: the old SMTP parameters are removed",
    default: "none",
  },
  deletionProtection: {
    accepts: "`true` or `false`",
    meaning: "deletion protection of the DynamoDB table",
    default: "true",
  },
  logLevel: {
    accepts: codeList(LOG_LEVELS),
    meaning: "Powertools log level of every function",
    default: "INFO",
  },
  // Deploy-proofing (issue 17): alarms, existing DNS and SES resources, who may send.
  bounceRateThreshold: {
    accepts: `above 0, below ${SES_REVIEW_RATES.bounce}`,
    meaning: "alarm when SES's bounce rate goes above it (below SES's 5% review point)",
    default: String(DEFAULT_BOUNCE_RATE_THRESHOLD),
  },
  complaintRateThreshold: {
    accepts: `above 0, below ${SES_REVIEW_RATES.complaint}`,
    meaning: "alarm when SES's complaint rate goes above it (below SES's 0.1% review point)",
    default: String(DEFAULT_COMPLAINT_RATE_THRESHOLD),
  },
  notificationSources: {
    accepts: "event sources (printable, no spaces), comma-separated",
    meaning: "comma-separated: the only event `source` values the Notification rule accepts",
    default: "any source",
  },
  restrictPutEvents: {
    accepts: "`true` or `false`",
    meaning: "bus policy: only principals granted through `grantPutEvents` may put events",
    default: "false",
  },
  feedbackEvents: {
    accepts: "those event names, comma-separated",
    meaning:
      "comma-separated SES events routed to feedback (`send`, `renderingFailure`, `bounce`, `complaint`, `reject`, `deliveryDelay`, `delivery`): each costs an invocation",
    default: "all seven: Herald uses each",
  },
  existingIdentity: {
    accepts: "the domain or a parent of it",
    meaning: "an SES identity already verified in the region (the domain or a parent): used, not created",
    default: "none: Herald creates the domain identity",
  },
  existingConfigurationSet: {
    accepts: "letters, digits, `_` and `-`, up to 64",
    meaning: "an SES configuration set that already exists: Herald adds its event destination to it",
    default: "none: Herald creates one",
  },
  alarmTopicArn: {
    accepts: "an SNS topic ARN",
    meaning:
      "an existing SNS topic for the alarms (its policy must let CloudWatch publish); `adminEmails` are subscribed to it",
    default: "none: Herald creates an encrypted topic",
  },
  existingDmarc: {
    accepts: "`true` or `false`",
    meaning: "`true`: `_dmarc.<domain>` already exists and is kept (no DMARC record created or output)",
    default: "false",
  },
} as const satisfies Record<string, ContextKeyDoc>;
export type ContextKey = keyof typeof CONTEXT_KEYS;

/** The docs/deploy.md table of context keys, one row per key, in the registry's order. */
export function contextKeysTable(): string {
  const rows = Object.entries(CONTEXT_KEYS).map(
    ([key, doc]: [string, ContextKeyDoc]) =>
      `| \`${key}\` | ${doc.meaning} | ${doc.accepts} | ${doc.default} |`,
  );
  return ["| key | meaning | accepts | default |", "|---|---|---|---|", ...rows].join("\n");
}

/** The configuration HeraldStack takes; bin/app.ts reads it from the context. */
export interface HeraldConfig {
  readonly domain: string;
  readonly hostedZone?: { readonly hostedZoneId: string; readonly zoneName: string };
  readonly senderAddress: string;
  readonly senderName?: string;
  readonly adminEmails: readonly string[];
  readonly siteUrl?: string;
  readonly siteName?: string;
  readonly productVersion?: string;
  readonly securityFeedUrl: string;
  readonly transport: Transport;
  /** SMTP server settings written to SSM (server, port, security); absent for `ses-api`. */
  readonly smtp?: Omit<SmtpServerSettings, "server"> & { readonly server?: string };
  readonly parameterPrefix: string;
  readonly mailFromSubdomain: string;
  readonly dmarcPolicy: DmarcPolicy;
  readonly dmarcReportEmail?: string;
  readonly securityCheckSchedule: string;
  readonly maxSendRate: number;
  readonly credentialsSerial: string;
  /** SMTP credentials: seconds a previous key stays active after a rotation (0: deleted at once). */
  readonly credentialsGracePeriodSeconds: number;
  /** SMTP credentials: seconds between scheduled rotations; absent: none. */
  readonly credentialsRotationIntervalSeconds?: number;
  /** The prefix before a parameterPrefix change: the SMTP credentials' handler may clean it. */
  readonly previousParameterPrefix?: string;
  readonly deletionProtection: boolean;
  readonly logLevel: LogLevel;
  // Deploy-proofing (issue 17).
  readonly bounceRateThreshold: number;
  readonly complaintRateThreshold: number;
  readonly notificationSources?: readonly string[];
  readonly restrictPutEvents: boolean;
  /** The name of an SES identity that already exists (the domain or a parent of it). */
  readonly existingIdentity?: string;
  /** The name of an SES configuration set that already exists. */
  readonly existingConfigurationSet?: string;
  /** The SES events routed to feedback; absent: every one Herald uses. */
  readonly feedbackEvents?: readonly EmailSendingEvent[];
  /** An existing SNS topic for the alarms. */
  readonly alarmTopicArn?: string;
  /** `_dmarc.<domain>` already exists: Herald keeps it. */
  readonly existingDmarc: boolean;
}

/** One refused value. */
export interface ContextProblem {
  readonly key: ContextKey | "region";
  readonly message: string;
}

class Reader {
  readonly problems: ContextProblem[] = [];
  private readonly node: Pick<Node, "tryGetContext">;
  constructor(node: Pick<Node, "tryGetContext">) {
    this.node = node;
  }

  fail(key: ContextKey | "region", value: unknown, rule: string): void {
    this.problems.push({ key, message: `${key} ${JSON.stringify(value)} ${rule}` });
  }

  /** A string value; numbers and booleans from cdk.json are taken as written. */
  string(key: ContextKey): string | undefined {
    const value: unknown = this.node.tryGetContext(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    if (typeof value !== "string") {
      this.fail(key, value, "must be a string");
      return undefined;
    }
    return value.trim() === "" ? undefined : value.trim();
  }

  required(key: ContextKey, example: string): string | undefined {
    const value = this.string(key);
    if (value === undefined)
      this.problems.push({ key, message: `${key} is required: add -c ${key}=${example}` });
    return value;
  }

  number(key: ContextKey, fallback: number, ok: (n: number) => boolean, rule: string): number {
    const text = this.string(key);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!ok(value)) this.fail(key, text, rule);
    return value;
  }

  boolean(key: ContextKey, fallback: boolean): boolean {
    const text = this.string(key);
    if (text === undefined) return fallback;
    if (text === "true" || text === "false") return text === "true";
    this.fail(key, text, "is not true or false");
    return fallback;
  }

  oneOf<T extends string>(key: ContextKey, values: readonly T[], fallback: T): T {
    const text = this.string(key) ?? fallback;
    if (values.includes(text as T)) return text as T;
    this.fail(key, text, `is not one of ${values.join(", ")}`);
    return fallback;
  }
}

const isPort = (n: number) => Number.isInteger(n) && n >= 1 && n <= 65535;

/** SMTPServerTimeout to write, when given: a send must fit a Lambda timeout. */
function readSmtpTimeout(r: Reader): { timeoutSeconds?: number } {
  const text = r.string("smtpServerTimeout");
  if (text === undefined) return {};
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_SMTP_TIMEOUT_SECONDS) {
    r.fail(
      "smtpServerTimeout",
      text,
      `is not a whole number of seconds from 1 to ${MAX_SMTP_TIMEOUT_SECONDS}`,
    );
    return {};
  }
  if (seconds > MAX_DEPLOYABLE_STAGE_SECONDS) {
    r.fail(
      "smtpServerTimeout",
      text,
      `needs a send function timeout of ${sendFunctionTimeoutSeconds(seconds)} s (${SEND_STAGE_COUNT} x ${seconds} s for one send, ${SEND_RESERVE_MS / 1000} s to finish, ${SEND_START_WINDOW_SECONDS} s to start sends), more than Lambda's ${LAMBDA_MAX_TIMEOUT_SECONDS} s: use at most ${MAX_DEPLOYABLE_STAGE_SECONDS}`,
    );
  }
  return { timeoutSeconds: seconds };
}

function readSmtp(r: Reader, transport: Transport): HeraldConfig["smtp"] {
  const server = r.string("smtpServer");
  const portText = r.string("smtpPort");
  const securityText = r.string("connectionSecurity");
  if (transport === "ses-api") {
    for (const [key, value] of [
      ["smtpServer", server],
      ["smtpPort", portText],
      ["connectionSecurity", securityText],
      ["smtpServerTimeout", r.string("smtpServerTimeout")],
    ] as const) {
      if (value !== undefined)
        r.fail(key, value, "is not used by transport ses-api (it sends through the SES API)");
    }
    return undefined;
  }
  if (transport === "ses-smtp") {
    if (server !== undefined) {
      r.fail(
        "smtpServer",
        server,
        "is not used by transport ses-smtp (the server is the region's SES SMTP endpoint); use transport smtp for another server",
      );
    }
    const port = r.number(
      "smtpPort",
      465,
      (n) => STARTTLS_PORTS.has(n) || IMPLICIT_TLS_PORTS.has(n),
      "is not an SES SMTP port: 465 or 2465 (TLS), 587, 2587 or 25 (STARTTLS)",
    );
    const security: ConnectionSecurity = IMPLICIT_TLS_PORTS.has(port) ? "TLS" : "STARTTLS";
    if (securityText !== undefined && securityText !== security) {
      r.fail(
        "connectionSecurity",
        securityText,
        `does not match SES SMTP port ${port}, which needs ${security}`,
      );
    }
    return { port, connectionSecurity: security, ...readSmtpTimeout(r) };
  }
  if (server === undefined)
    r.problems.push({
      key: "smtpServer",
      message: "smtpServer is required with transport smtp: add -c smtpServer=smtp.example.com",
    });
  else if (/\s/.test(server)) r.fail("smtpServer", server, "is not a host name or IP address");
  const port = r.number("smtpPort", 587, isPort, "is out of range: a port is an integer from 1 to 65535");
  const security = connectionSecurityOf(securityText ?? "STARTTLS");
  if (!isConnectionSecurity(security)) {
    r.fail("connectionSecurity", securityText, 'is not TLS, STARTTLS or "" (clear text)');
    return { server, port, connectionSecurity: "STARTTLS", ...readSmtpTimeout(r) };
  }
  return { server, port, connectionSecurity: security, ...readSmtpTimeout(r) };
}

const DURATION_UNITS = { minute: 60, hour: 3600, day: 86_400 } as const;

/** "90 days", "12 hours", "30 minutes" (or "0") in seconds; undefined when it is none of those. */
function durationSeconds(text: string): number | undefined {
  if (text === "0") return 0;
  const match = /^(\d+)\s*(minute|hour|day)s?$/i.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * DURATION_UNITS[match[2]!.toLowerCase() as keyof typeof DURATION_UNITS];
}

/** The SMTP credentials' grace period, scheduled rotation and previous prefix. */
function readCredentialsRotation(r: Reader, parameterPrefix: string) {
  const graceText = r.string("credentialsGracePeriod") ?? "1 day";
  const grace = durationSeconds(graceText);
  if (grace === undefined)
    r.fail("credentialsGracePeriod", graceText, 'is not a duration: use e.g. "1 day", "12 hours" or 0');
  const intervalText = r.string("credentialsRotationInterval");
  const interval = intervalText === undefined ? undefined : durationSeconds(intervalText);
  if (intervalText !== undefined && (interval === undefined || interval < 3600 || interval <= (grace ?? 0))) {
    r.fail(
      "credentialsRotationInterval",
      intervalText,
      `is not a duration of at least an hour and longer than credentialsGracePeriod (${graceText}): use e.g. "90 days"`,
    );
  }
  const previousText = r.string("previousParameterPrefix");
  const previous = previousText === undefined ? undefined : normalizePrefixPath(previousText);
  const rule = previous === undefined ? undefined : prefixProblem(previous);
  if (rule) r.fail("previousParameterPrefix", previousText, rule);
  return {
    credentialsGracePeriodSeconds: grace ?? 86_400,
    ...(interval !== undefined ? { credentialsRotationIntervalSeconds: interval } : {}),
    ...(previous !== undefined && previous !== parameterPrefix ? { previousParameterPrefix: previous } : {}),
  };
}

/** The SES events to route to feedback, when the key narrows them. */
function readFeedbackEvents(r: Reader): EmailSendingEvent[] | undefined {
  const text = r.string("feedbackEvents");
  if (text === undefined) return undefined;
  const names = text
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x !== "");
  if (names.length === 0) r.fail("feedbackEvents", text.replace(/\s/g, ""), "holds no event");
  const known: readonly string[] = FEEDBACK_EVENTS;
  for (const event of names) {
    if (!known.includes(event)) r.fail("feedbackEvents", event, `is not one of ${known.join(", ")}`);
  }
  return names as EmailSendingEvent[];
}

/** SES resources and a DMARC record that already exist: used or kept, not created. */
function readExistingResources(r: Reader, domain: string | undefined) {
  const identity = r.string("existingIdentity")?.toLowerCase().replace(/\.$/, "");
  if (identity !== undefined && domain !== undefined && !isWithinDomain(domain, identity))
    r.fail("existingIdentity", identity, `is not the domain ${domain} or a parent of it`);
  const configurationSet = r.string("existingConfigurationSet");
  if (configurationSet !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(configurationSet)) {
    r.fail(
      "existingConfigurationSet",
      configurationSet,
      "is not a configuration set name (letters, digits, _ and -, up to 64)",
    );
  }
  const existingDmarc = r.boolean("existingDmarc", false);
  for (const key of ["dmarcPolicy", "dmarcReportEmail"] as const) {
    const value = r.string(key);
    if (existingDmarc && value !== undefined)
      r.fail(key, value, "is not used with existingDmarc true (the existing _dmarc record is kept)");
  }
  return {
    ...(identity !== undefined ? { existingIdentity: identity } : {}),
    ...(configurationSet !== undefined ? { existingConfigurationSet: configurationSet } : {}),
    existingDmarc,
  };
}

/** Keeps only the fields that have a value (optional config fields are absent, not undefined). */
function present<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The sending domain; undefined when missing or invalid (rules that depend on it then wait). */
function readDomain(r: Reader): string | undefined {
  const text = r.required("domain", "example.com");
  const name = text?.toLowerCase().replace(/\.$/, "");
  if (name === undefined) return undefined;
  if (isDomainName(name)) return name;
  r.fail("domain", text, "is not a domain name, e.g. example.com");
  return undefined;
}

/** The Route 53 zone: both keys or neither, the zone containing the domain. */
function readHostedZone(r: Reader, domain: string | undefined): Pick<HeraldConfig, "hostedZone"> {
  const hostedZoneId = r.string("hostedZoneId");
  const zoneName = r.string("hostedZoneName")?.toLowerCase().replace(/\.$/, "");
  if ((hostedZoneId === undefined) !== (zoneName === undefined)) {
    const missing = hostedZoneId === undefined ? "hostedZoneId" : "hostedZoneName";
    r.problems.push({
      key: missing,
      message: `${missing} is required with ${missing === "hostedZoneId" ? "hostedZoneName" : "hostedZoneId"}: give both, or neither for DNS records as outputs`,
    });
  }
  if (hostedZoneId !== undefined && !/^Z[A-Z0-9]{1,31}$/.test(hostedZoneId)) {
    r.fail(
      "hostedZoneId",
      hostedZoneId,
      "is not a Route 53 hosted zone id (Z followed by capital letters and digits)",
    );
  }
  if (zoneName !== undefined && !isDomainName(zoneName))
    r.fail("hostedZoneName", zoneName, "is not a domain name");
  else if (zoneName !== undefined && domain !== undefined && !isWithinDomain(domain, zoneName)) {
    r.fail(
      "hostedZoneName",
      zoneName,
      `does not contain the domain ${domain}: use the domain's zone or a parent zone`,
    );
  }
  return hostedZoneId && zoneName ? { hostedZone: { hostedZoneId, zoneName } } : {};
}

/** FeedbackEmail (in the domain) and FeedbackName. */
function readSender(r: Reader, domain: string | undefined) {
  const senderAddress = r.string("senderAddress") ?? (domain ? `notifications@${domain}` : "");
  if (domain !== undefined) {
    if (!isEmailAddress(senderAddress))
      r.fail("senderAddress", senderAddress, `is not an email address, e.g. notifications@${domain}`);
    else if (!isWithinDomain(addressDomain(senderAddress), domain)) {
      r.fail(
        "senderAddress",
        senderAddress,
        `is not in the domain ${domain}: SES sends only from the verified domain, e.g. notifications@${domain}`,
      );
    }
  }
  const senderName = r.string("senderName");
  if (senderName !== undefined && /[\r\n]/.test(senderName))
    r.fail("senderName", senderName, "must not contain line breaks");
  return { senderAddress, ...present({ senderName }) };
}

/** A comma-separated list of values, each trimmed, empty ones dropped. */
function list(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x !== "");
}

function readAdminEmails(r: Reader): readonly string[] {
  const text = r.required("adminEmails", "ops@example.com,oncall@example.com");
  const adminEmails = list(text);
  for (const address of adminEmails) {
    if (!isEmailAddress(address))
      r.fail(
        "adminEmails",
        address,
        "is not an email address (a comma-separated list, e.g. ops@example.com,oncall@example.com)",
      );
  }
  if (text !== undefined && adminEmails.length === 0) r.fail("adminEmails", text, "holds no address");
  return adminEmails;
}

/** SiteURL, SiteName and what the security-alert check matches and reads. */
function readSite(r: Reader) {
  const siteUrl = r.string("siteUrl");
  if (siteUrl !== undefined && !isHttpUrl(siteUrl))
    r.fail("siteUrl", siteUrl, "is not an http(s) URL, e.g. https://chat.example.com");
  const siteName = r.string("siteName");
  if (siteName !== undefined && /[\r\n]/.test(siteName))
    r.fail("siteName", siteName, "must not contain line breaks");
  const productVersion = r.string("productVersion");
  if (productVersion !== undefined && semver.valid(productVersion) === null) {
    r.fail("productVersion", productVersion, "is not a semantic version (MAJOR.MINOR.PATCH, e.g. 9.11.2)");
  }
  const securityFeedUrl = r.string("securityFeedUrl") ?? DEFAULT_SECURITY_FEED_URL;
  if (!isHttpUrl(securityFeedUrl)) r.fail("securityFeedUrl", securityFeedUrl, "is not an http(s) URL");
  const securityCheckSchedule = r.string("securityCheckSchedule") ?? DEFAULT_SECURITY_CHECK_SCHEDULE;
  if (!isScheduleExpression(securityCheckSchedule)) {
    r.fail(
      "securityCheckSchedule",
      securityCheckSchedule,
      'is not a schedule expression: use e.g. "rate(1 day)", "rate(4 hours)" or "cron(0 8 * * ? *)"',
    );
  }
  return { ...present({ siteUrl, siteName, productVersion }), securityFeedUrl, securityCheckSchedule };
}

/** The transport, its SMTP settings, and (ses-smtp) a region with an SES SMTP endpoint. */
function readTransport(r: Reader, region: string | undefined) {
  const transport = r.oneOf("transport", TRANSPORTS, DEFAULT_TRANSPORT);
  const smtp = readSmtp(r, transport);
  if (
    transport === "ses-smtp" &&
    region !== undefined &&
    !Token.isUnresolved(region) &&
    !SES_SMTP_REGIONS.has(region)
  ) {
    r.fail(
      "region",
      region,
      "has no SES SMTP endpoint, which transport ses-smtp needs: deploy to another region (e.g. eu-west-1, us-east-1) or use -c transport=ses-api",
    );
  }
  return { transport, ...present({ smtp }) };
}

function readParameterPrefix(r: Reader): string {
  const text = r.string("parameterPrefix") ?? DEFAULT_PARAMETER_PREFIX;
  const prefix = normalizePrefixPath(text);
  const rule = prefixProblem(prefix);
  if (rule) r.fail("parameterPrefix", text, rule);
  return prefix;
}

/** The MAIL FROM subdomain and the DMARC record Herald writes. */
function readDnsRecords(r: Reader) {
  const mailFromSubdomain = r.string("mailFromSubdomain") ?? "bounce";
  if (!isDnsLabel(mailFromSubdomain))
    r.fail(
      "mailFromSubdomain",
      mailFromSubdomain,
      'is not a DNS label (letters, digits, inner "-"), e.g. bounce',
    );
  const dmarcPolicy = r.oneOf("dmarcPolicy", DMARC_POLICIES, "none");
  const dmarcReportEmail = r.string("dmarcReportEmail");
  if (dmarcReportEmail !== undefined && !isEmailAddress(dmarcReportEmail))
    r.fail("dmarcReportEmail", dmarcReportEmail, "is not an email address");
  return { mailFromSubdomain, dmarcPolicy, ...present({ dmarcReportEmail }) };
}

/** The SES alarms' thresholds, below SES's review points. */
function readAlarmThresholds(r: Reader) {
  return {
    bounceRateThreshold: r.number(
      "bounceRateThreshold",
      DEFAULT_BOUNCE_RATE_THRESHOLD,
      (n) => n > 0 && n < SES_REVIEW_RATES.bounce,
      `is not a rate above 0 and below SES's review point ${SES_REVIEW_RATES.bounce} (5%), e.g. 0.04`,
    ),
    complaintRateThreshold: r.number(
      "complaintRateThreshold",
      DEFAULT_COMPLAINT_RATE_THRESHOLD,
      (n) => n > 0 && n < SES_REVIEW_RATES.complaint,
      `is not a rate above 0 and below SES's review point ${SES_REVIEW_RATES.complaint} (0.1%), e.g. 0.0005`,
    ),
  };
}

/** An existing alarm topic, by ARN. */
function readAlarmTopic(r: Reader): Pick<HeraldConfig, "alarmTopicArn"> {
  const arn = r.string("alarmTopicArn");
  if (arn !== undefined && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(arn))
    r.fail("alarmTopicArn", arn, "is not an SNS topic ARN, e.g. arn:aws:sns:eu-west-1:111111111111:alarms");
  return present({ alarmTopicArn: arn });
}

/** Who may make Herald send: the rule's sources and the bus policy. */
function readProducers(r: Reader) {
  const notificationSources = list(r.string("notificationSources"));
  for (const source of notificationSources) {
    if (!/^[\x21-\x7e]{1,256}$/.test(source))
      r.fail("notificationSources", source, "is not an event source (printable, no spaces), e.g. my.app");
  }
  return {
    ...(notificationSources.length > 0 ? { notificationSources } : {}),
    restrictPutEvents: r.boolean("restrictPutEvents", false),
  };
}

/** The send path's rate, the table's protection and the functions' log level. */
function readOperations(r: Reader) {
  return {
    maxSendRate: r.number(
      "maxSendRate",
      DEFAULT_MAX_SEND_RATE,
      (n) => Number.isFinite(n) && n > 0,
      "is not a positive number of emails per second (SES's sending rate, e.g. 14)",
    ),
    deletionProtection: r.boolean("deletionProtection", true),
    logLevel: r.oneOf("logLevel", LOG_LEVELS, "INFO"),
  };
}

/**
 * Reads and checks the context, one step per group of keys. `region` is the deployment region
 * when known (CDK_DEFAULT_REGION): transport ses-smtp needs one with an SES SMTP endpoint.
 * Throws one error listing every problem.
 */
export function readHeraldContext(node: Pick<Node, "tryGetContext">, region?: string): HeraldConfig {
  const r = new Reader(node);
  const domain = readDomain(r);
  const parameterPrefix = readParameterPrefix(r);
  const feedbackEvents = readFeedbackEvents(r);
  const config: HeraldConfig = {
    domain: domain ?? "",
    ...readHostedZone(r, domain),
    ...readSender(r, domain),
    adminEmails: readAdminEmails(r),
    ...readSite(r),
    ...readTransport(r, region),
    parameterPrefix,
    ...readDnsRecords(r),
    ...readExistingResources(r, domain),
    credentialsSerial: r.string("credentialsSerial") ?? "1",
    ...readCredentialsRotation(r, parameterPrefix),
    ...readOperations(r),
    ...readAlarmThresholds(r),
    ...readAlarmTopic(r),
    ...readProducers(r),
    ...(feedbackEvents && feedbackEvents.length > 0 ? { feedbackEvents } : {}),
  };
  if (r.problems.length > 0) {
    throw new HeraldConfigError(
      `Herald's deployment configuration has ${r.problems.length} problem(s) (cdk.json context or -c key=value):\n` +
        r.problems.map((p) => `  - ${p.message}`).join("\n"),
    );
  }
  return config;
}
