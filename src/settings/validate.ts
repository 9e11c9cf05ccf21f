import {
  hasLineBreak,
  isLoopbackHost,
  isValidEmailAddress,
  isValidHost,
  punycodeHost,
  urlHost,
} from "../net/hosts.ts";
import {
  IMPLICIT_TLS_PORTS,
  SES_SMTP_REGIONS,
  STARTTLS_PORTS,
  sesSmtpEndpointRegion,
} from "../ses/regions.ts";
import {
  MAX_DEPLOYABLE_STAGE_SECONDS,
  maxStageSecondsFor,
  SEND_STAGE_COUNT,
  sendNeedsSeconds,
} from "../send-timing.ts";
import { maySendAs, type DeploymentFacts } from "./deployment.ts";
import type { Origin } from "./layer.ts";
import type { LoadedSettings } from "./load.ts";
import {
  CONNECTION_SECURITY_VALUES,
  isConnectionSecurity,
  MAX_SMTP_TIMEOUT_SECONDS,
  PLACEHOLDER_ADDRESS,
  type HeraldSettings,
} from "./model.ts";
import type { Problem, Severity } from "./problems.ts";
import { sanitizeSettings } from "./sanitize.ts";

/** The result of `herald validate --json` and of the validate-settings Lambda. */
export interface ValidationResult {
  /** false when any problem is an error */
  valid: boolean;
  problems: Problem[];
  /** sanitized: the password only as asterisks */
  settings: HeraldSettings;
}

interface RuleContext {
  settings: HeraldSettings;
  /** Whether the session logs in: EnableSMTPAuth, unless a caller decides (a probe). */
  login: boolean;
  /** What the deployment fixes (the sender it may send as); empty outside a deployment. */
  deployment: DeploymentFacts;
  report(setting: string, severity: Severity, message: string, fix: string): void;
  /** " (from MM_EMAILSETTINGS_SMTPPORT)" for values not from the defaults */
  from(setting: string): string;
}

/**
 * One validation rule. `blocks` tags what its problems stop before any byte is sent:
 * "connection" - no SMTP session may start (probe, test-send, notifications);
 * "login" - a session may not log in. A probe checks only the tagged rules (it sends no
 * mail); test-send and notifications need every error fixed.
 */
interface Rule {
  /** stable name, also the report's error code when the rule stops a session */
  code: string;
  blocks?: "connection" | "login";
  check(ctx: RuleContext): void;
}

/** The port as a number when SMTPPort is a whole number in range, else undefined. */
export function smtpPortNumber(settings: HeraldSettings): number | undefined {
  const text = settings.EmailSettings.SMTPPort.trim();
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

export function hasCredentials(settings: HeraldSettings): boolean {
  return settings.EmailSettings.SMTPUsername !== "" && settings.EmailSettings.SMTPPassword !== "";
}

// --- rules that stop any session ------------------------------------------------------

const serverIsHost: Rule = {
  code: "EHOST",
  blocks: "connection",
  check({ settings, report, from }) {
    const email = settings.EmailSettings;
    if (isValidHost(email.SMTPServer.trim())) return;
    const ascii = punycodeHost(email.SMTPServer);
    // Without notifications nothing is sent, but test-send and a probe still cannot connect.
    report(
      "EmailSettings.SMTPServer",
      email.SendEmailNotifications ? "error" : "warning",
      `SMTPServer ${JSON.stringify(email.SMTPServer)}${from("EmailSettings.SMTPServer")} is not a valid host name or IP address`,
      ascii
        ? `write the internationalized name in its ASCII (punycode) form: ${ascii}`
        : "set SMTPServer to the host name only, without scheme or port, e.g. email-smtp.eu-west-1.amazonaws.com (an IPv6 address with or without brackets)",
    );
  },
};

const portInRange: Rule = {
  code: "EPORT",
  blocks: "connection",
  check({ settings, report, from }) {
    if (smtpPortNumber(settings) !== undefined) return;
    report(
      "EmailSettings.SMTPPort",
      "error",
      `SMTPPort ${JSON.stringify(settings.EmailSettings.SMTPPort)}${from("EmailSettings.SMTPPort")} is not a port number 1..65535`,
      "use the submission port, e.g. 587 (STARTTLS) or 465 (TLS)",
    );
  },
};

const connectionSecurityIsKnown: Rule = {
  code: "ESECURITY",
  blocks: "connection",
  check({ settings, report, from }) {
    const security = settings.EmailSettings.ConnectionSecurity;
    if (isConnectionSecurity(security)) return;
    report(
      "EmailSettings.ConnectionSecurity",
      "error",
      `ConnectionSecurity ${JSON.stringify(security)}${from("EmailSettings.ConnectionSecurity")} is not one of ${CONNECTION_SECURITY_VALUES.map((v) => JSON.stringify(v)).join(", ")}`,
      'use "TLS" for implicit TLS (ports 465/2465), "STARTTLS" for ports 587/25/2587, or "" for none',
    );
  },
};

const timeoutInRange: Rule = {
  code: "ETIMEOUTSETTING",
  blocks: "connection",
  check({ settings, report, from }) {
    const timeout = settings.EmailSettings.SMTPServerTimeout;
    const where = from("EmailSettings.SMTPServerTimeout");
    if (!Number.isInteger(timeout) || timeout <= 0) {
      report(
        "EmailSettings.SMTPServerTimeout",
        "error",
        `SMTPServerTimeout ${timeout}${where} is not a positive number of seconds`,
        "use a positive whole number of seconds, e.g. 10 (0 means the default, 10)",
      );
    } else if (timeout > MAX_SMTP_TIMEOUT_SECONDS) {
      report(
        "EmailSettings.SMTPServerTimeout",
        "error",
        `SMTPServerTimeout ${timeout}${where} is more than ${MAX_SMTP_TIMEOUT_SECONDS} seconds (an hour) for one SMTP stage`,
        `use at most ${MAX_SMTP_TIMEOUT_SECONDS} seconds; 10 to 60 is usual (0 means the default, 10)`,
      );
    }
  },
};

// --- rules that stop a login -----------------------------------------------------------

const authNeedsCredentials: Rule = {
  code: "ECREDENTIALS",
  blocks: "login",
  check({ settings, login, report, from }) {
    const email = settings.EmailSettings;
    if (!login) return;
    const because = `EnableSMTPAuth is ${email.EnableSMTPAuth}${from("EmailSettings.EnableSMTPAuth")}`;
    if (email.SMTPUsername === "") {
      report(
        "EmailSettings.SMTPUsername",
        "error",
        `${email.EnableSMTPAuth ? because : "a login was asked for"} but SMTPUsername is empty`,
        "set SMTPUsername (for Amazon SES: the SMTP access key id), or set EnableSMTPAuth to false",
      );
    }
    if (email.SMTPPassword === "") {
      report(
        "EmailSettings.SMTPPassword",
        "error",
        `${email.EnableSMTPAuth ? because : "a login was asked for"} but SMTPPassword is empty`,
        "store the password in SSM (SecureString) or MM_EMAILSETTINGS_SMTPPASSWORD, or set EnableSMTPAuth to false",
      );
    }
  },
};

// The setup guide's rule, for any host (loopback too): credentials need TLS or STARTTLS.
const credentialsNeedEncryption: Rule = {
  code: "ECLEARTEXTAUTH",
  blocks: "login",
  check({ settings, report, from }) {
    if (!hasCredentials(settings) || settings.EmailSettings.ConnectionSecurity !== "") return;
    report(
      "EmailSettings.ConnectionSecurity",
      "error",
      `SMTPUsername and SMTPPassword are set but ConnectionSecurity is ""${from("EmailSettings.ConnectionSecurity")}: the credentials would travel unencrypted`,
      'set ConnectionSecurity to "STARTTLS" (port 587) or "TLS" (port 465)',
    );
  },
};

// --- rules about the messages ------------------------------------------------------------

const addressesValid: Rule = {
  code: "EADDRESS",
  check({ settings, report, from }) {
    const email = settings.EmailSettings;
    for (const key of ["FeedbackEmail", "ReplyToAddress"] as const) {
      const value = email[key];
      if (key === "ReplyToAddress" && value === "") continue;
      if (isValidEmailAddress(value)) continue;
      report(
        `EmailSettings.${key}`,
        "error",
        `${key} ${JSON.stringify(value)}${from(`EmailSettings.${key}`)} is not a valid email address`,
        `set ${key} to a plain address such as notifications@example.com (the display name goes in FeedbackName)`,
      );
    }
  },
};

const noHeaderInjection: Rule = {
  code: "EHEADER",
  check({ settings, report }) {
    const values: Array<[string, string]> = [
      ["EmailSettings.FeedbackName", settings.EmailSettings.FeedbackName],
      ["EmailSettings.FeedbackEmail", settings.EmailSettings.FeedbackEmail],
      ["EmailSettings.ReplyToAddress", settings.EmailSettings.ReplyToAddress],
      ["EmailSettings.FeedbackOrganization", settings.EmailSettings.FeedbackOrganization],
      ["TeamSettings.SiteName", settings.TeamSettings.SiteName],
    ];
    for (const [setting, value] of values) {
      if (!hasLineBreak(value)) continue;
      report(
        setting,
        "error",
        `${setting} contains a line break, which could inject mail headers`,
        "remove the CR/LF characters",
      );
    }
  },
};

const siteUrlValid: Rule = {
  code: "ESITEURL",
  check({ settings, report, from }) {
    const url = settings.ServiceSettings.SiteURL;
    if (url === "" || urlHost(url) !== undefined) return;
    report(
      "ServiceSettings.SiteURL",
      "error",
      `SiteURL ${JSON.stringify(url)}${from("ServiceSettings.SiteURL")} is not an http(s) URL`,
      "set SiteURL to the public URL, e.g. https://chat.example.com (its host becomes the EHLO name)",
    );
  },
};

// --- warnings ----------------------------------------------------------------------------

const passwordWithoutAuth: Rule = {
  code: "EAUTHOFF",
  check({ settings, report }) {
    const email = settings.EmailSettings;
    if (email.EnableSMTPAuth || email.SMTPPassword === "") return;
    report(
      "EmailSettings.EnableSMTPAuth",
      "warning",
      "SMTPPassword is set but EnableSMTPAuth is false, so no login is attempted",
      "set EnableSMTPAuth to true if the server needs a login",
    );
  },
};

const tlsModeMatchesPort: Rule = {
  code: "ETLSPORT",
  check({ settings, report }) {
    const port = smtpPortNumber(settings);
    const security = settings.EmailSettings.ConnectionSecurity;
    if (port === undefined) return;
    if (security === "TLS" && STARTTLS_PORTS.has(port)) {
      report(
        "EmailSettings.ConnectionSecurity",
        "warning",
        `ConnectionSecurity "TLS" (implicit TLS) on port ${port}, which usually expects STARTTLS: expect "wrong version number"`,
        'use "STARTTLS" on 587/25/2587, or port 465 with "TLS"',
      );
    }
    if (security === "STARTTLS" && IMPLICIT_TLS_PORTS.has(port)) {
      report(
        "EmailSettings.ConnectionSecurity",
        "warning",
        `ConnectionSecurity "STARTTLS" on port ${port}, which usually expects implicit TLS: the connection will stall or fail`,
        'use "TLS" on 465/2465, or port 587 with "STARTTLS"',
      );
    }
  },
};

const port25FromLambda: Rule = {
  code: "EPORT25",
  check({ settings, report }) {
    if (smtpPortNumber(settings) !== 25 || isLoopbackHost(settings.EmailSettings.SMTPServer)) return;
    report(
      "EmailSettings.SMTPPort",
      "warning",
      "port 25 is blocked for outbound traffic from AWS Lambda (and throttled on EC2)",
      "use the submission port 587 (STARTTLS) or 465 (TLS)",
    );
  },
};

const skipVerification: Rule = {
  code: "ENOVERIFY",
  check({ settings, report }) {
    if (!settings.EmailSettings.SkipServerCertificateVerification) return;
    report(
      "EmailSettings.SkipServerCertificateVerification",
      "warning",
      "the server certificate is not verified: anyone on the path can read the mail and the credentials",
      "fix the server certificate or CA and set SkipServerCertificateVerification to false",
    );
  },
};

const clearTextToRemote: Rule = {
  code: "ECLEARTEXT",
  check({ settings, report }) {
    const email = settings.EmailSettings;
    if (!email.SendEmailNotifications || email.ConnectionSecurity !== "" || isLoopbackHost(email.SMTPServer))
      return;
    report(
      "EmailSettings.ConnectionSecurity",
      "warning",
      `mail${hasCredentials(settings) ? " and credentials" : ""} would go in clear text to ${email.SMTPServer}, which is not this machine's loopback address or localhost`,
      'set ConnectionSecurity to "STARTTLS" or "TLS"',
    );
  },
};

const placeholderSender: Rule = {
  code: "EPLACEHOLDERSENDER",
  check({ settings, report }) {
    const email = settings.EmailSettings;
    if (!email.SendEmailNotifications || email.FeedbackEmail.trim().toLowerCase() !== PLACEHOLDER_ADDRESS)
      return;
    report(
      "EmailSettings.FeedbackEmail",
      "warning",
      `FeedbackEmail is still the placeholder ${PLACEHOLDER_ADDRESS}: mail would go out from example.com, which no server lets you send as`,
      "set FeedbackEmail to an address in your sending domain, e.g. notifications@<your domain>",
    );
  },
};

const senderIsDeployed: Rule = {
  code: "ESENDERNOTDEPLOYED",
  check({ settings, deployment, report, from }) {
    const sender = settings.EmailSettings.FeedbackEmail.trim();
    if (sender === "" || maySendAs(deployment, sender)) return;
    const allowed = deployment.allowedSender!;
    const what = allowed.includes("@") ? `only ${allowed}` : `only addresses of ${allowed}`;
    report(
      "EmailSettings.FeedbackEmail",
      "error",
      `FeedbackEmail ${JSON.stringify(sender)}${from("EmailSettings.FeedbackEmail")} is not an address this deployment may send as (${what}): SES refuses every send (554)`,
      `set FeedbackEmail back to ${allowed.includes("@") ? allowed : `an address of ${allowed}`}, or redeploy with -c senderAddress=${sender} (the SMTP user and grants follow the deployed sender)`,
    );
  },
};

const sendFitsTimeout: Rule = {
  code: "ESENDBOUNDTOOLONG",
  check({ settings, deployment, report, from }) {
    const timeout = deployment.sendTimeoutSeconds;
    const stage = settings.EmailSettings.SMTPServerTimeout;
    if (timeout === undefined || !Number.isInteger(stage) || stage <= 0) return;
    const needs = sendNeedsSeconds(stage);
    if (needs <= timeout) return;
    report(
      "EmailSettings.SMTPServerTimeout",
      "warning",
      `SMTPServerTimeout ${stage}${from("EmailSettings.SMTPServerTimeout")}: one send may take ${SEND_STAGE_COUNT} x ${stage} s + ${needs - SEND_STAGE_COUNT * stage} s = ${needs} s, more than the send function's timeout (${timeout} s), so no notification would ever start`,
      `use at most ${maxStageSecondsFor(timeout)} seconds, or deploy with -c smtpServerTimeout=${stage} if the stack can fit it (the send function's timeout follows it, up to ${MAX_DEPLOYABLE_STAGE_SECONDS} s)`,
    );
  },
};

const alertsNeedEmail: Rule = {
  code: "EALERTSOFF",
  check({ settings, report }) {
    const email = settings.EmailSettings;
    if (!email.EnableSecurityFixAlert || email.SendEmailNotifications) return;
    report(
      "EmailSettings.EnableSecurityFixAlert",
      "warning",
      "EnableSecurityFixAlert is true but SendEmailNotifications is false: security bulletins will not be emailed",
      "set SendEmailNotifications to true, or EnableSecurityFixAlert to false",
    );
  },
};

const sesEndpoint: Rule = {
  code: "ESESENDPOINT",
  check({ settings, report }) {
    const region = sesSmtpEndpointRegion(settings.EmailSettings.SMTPServer);
    if (region === undefined) return;
    if (!SES_SMTP_REGIONS.has(region)) {
      report(
        "EmailSettings.SMTPServer",
        "warning",
        `Amazon SES has no SMTP endpoint in region ${region}`,
        "use email-smtp.<region>.amazonaws.com for a region where SES is available, e.g. eu-west-1, with credentials derived for that region",
      );
    }
    if (settings.EmailSettings.ConnectionSecurity === "") {
      report(
        "EmailSettings.ConnectionSecurity",
        "warning",
        "Amazon SES SMTP requires TLS but ConnectionSecurity is empty",
        'use "TLS" on port 465/2465 or "STARTTLS" on 587/2587',
      );
    }
  },
};

/** Every rule, once. Those that stop a session come first: their problem names a refusal. */
const RULES: readonly Rule[] = [
  serverIsHost,
  portInRange,
  connectionSecurityIsKnown,
  timeoutInRange,
  authNeedsCredentials,
  credentialsNeedEncryption,
  addressesValid,
  noHeaderInjection,
  siteUrlValid,
  passwordWithoutAuth,
  tlsModeMatchesPort,
  port25FromLambda,
  skipVerification,
  clearTextToRemote,
  placeholderSender,
  senderIsDeployed,
  sendFitsTimeout,
  alertsNeedEmail,
  sesEndpoint,
];

function describeOrigin(origin: Origin | undefined): string {
  if (!origin || origin.source === "default" || !origin.location) return "";
  return ` (from ${origin.location})`;
}

function runRules(
  rules: readonly Rule[],
  settings: HeraldSettings,
  login: boolean,
  origins?: ReadonlyMap<string, Origin>,
  deployment: DeploymentFacts = {},
): Problem[] {
  const problems: Problem[] = [];
  for (const rule of rules) {
    rule.check({
      settings,
      login,
      deployment,
      report(setting, severity, message, fix) {
        const source = origins?.get(setting)?.source;
        problems.push({ setting, severity, code: rule.code, message, fix, ...(source ? { source } : {}) });
      },
      from: (setting) => describeOrigin(origins?.get(setting)),
    });
  }
  return problems;
}

/**
 * Every problem with the settings, all at once, and against what the deployment fixes when
 * `deployment` says (see deployment.ts). Never throws.
 */
export function validateLoadedSettings(
  loaded: LoadedSettings,
  deployment: DeploymentFacts = {},
): ValidationResult {
  const problems: Problem[] = [
    ...loaded.inputErrors,
    ...loaded.problems,
    ...runRules(
      RULES,
      loaded.settings,
      loaded.settings.EmailSettings.EnableSMTPAuth,
      loaded.origins,
      deployment,
    ),
  ];
  return {
    valid: !problems.some((problem) => problem.severity === "error"),
    problems,
    settings: sanitizeSettings(loaded.settings),
  };
}

/**
 * What stops a session before it connects: the problems of the rules tagged "connection",
 * and of those tagged "login" when it logs in. Empty: it may go ahead. The same rules, codes
 * and fixes as `validateLoadedSettings`.
 */
export function blockingProblems(settings: HeraldSettings, options: { login: boolean }): Problem[] {
  const tagged = RULES.filter(
    (rule) => rule.blocks === "connection" || (options.login && rule.blocks === "login"),
  );
  return runRules(tagged, settings, options.login);
}

/**
 * Why these settings cannot log in (no credentials, or credentials that would travel in
 * clear text); empty when they can. A probe without a usable login skips it and says why.
 */
export function loginBlockers(settings: HeraldSettings): Problem[] {
  return runRules(
    RULES.filter((rule) => rule.blocks === "login"),
    settings,
    true,
  );
}
