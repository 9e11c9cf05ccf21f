import { hasLineBreak, isLoopbackHost, isValidEmailAddress, isValidHost, urlHost } from "../net/hosts.ts";
import {
  IMPLICIT_TLS_PORTS,
  SES_SMTP_REGIONS,
  STARTTLS_PORTS,
  sesSmtpEndpointRegion,
} from "../ses/regions.ts";
import type { Origin } from "./layer.ts";
import type { LoadedSettings } from "./load.ts";
import { CONNECTION_SECURITY_VALUES, type HeraldSettings } from "./model.ts";
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
  report(setting: string, severity: Severity, message: string, fix: string): void;
  /** " (from MM_EMAILSETTINGS_SMTPPORT)" for values not from the defaults */
  from(setting: string): string;
}

type Rule = (ctx: RuleContext) => void;

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

const connectionSecurityIsKnown: Rule = ({ settings, report, from }) => {
  const security = settings.EmailSettings.ConnectionSecurity;
  if (CONNECTION_SECURITY_VALUES.includes(security)) return;
  report(
    "EmailSettings.ConnectionSecurity",
    "error",
    `ConnectionSecurity ${JSON.stringify(security)}${from("EmailSettings.ConnectionSecurity")} is not one of "", "TLS", "STARTTLS"`,
    'use "TLS" for implicit TLS (ports 465/2465), "STARTTLS" for ports 587/25/2587, or "" for none',
  );
};

const credentialsNeedEncryption: Rule = ({ settings, report, from }) => {
  const security = settings.EmailSettings.ConnectionSecurity;
  if (!hasCredentials(settings) || security === "TLS" || security === "STARTTLS") return;
  report(
    "EmailSettings.ConnectionSecurity",
    "error",
    `SMTPUsername and SMTPPassword are set but ConnectionSecurity is ${JSON.stringify(security)}${from("EmailSettings.ConnectionSecurity")}: the credentials would travel unencrypted`,
    'set ConnectionSecurity to "STARTTLS" (port 587) or "TLS" (port 465)',
  );
};

const authNeedsCredentials: Rule = ({ settings, report, from }) => {
  const email = settings.EmailSettings;
  if (!email.EnableSMTPAuth) return;
  if (email.SMTPUsername === "") {
    report(
      "EmailSettings.SMTPUsername",
      "error",
      `EnableSMTPAuth is true${from("EmailSettings.EnableSMTPAuth")} but SMTPUsername is empty`,
      "set SMTPUsername (for Amazon SES: the SMTP access key id), or set EnableSMTPAuth to false",
    );
  }
  if (email.SMTPPassword === "") {
    report(
      "EmailSettings.SMTPPassword",
      "error",
      `EnableSMTPAuth is true${from("EmailSettings.EnableSMTPAuth")} but SMTPPassword is empty`,
      "store the password in SSM (SecureString) or MM_EMAILSETTINGS_SMTPPASSWORD, or set EnableSMTPAuth to false",
    );
  }
};

const passwordWithoutAuth: Rule = ({ settings, report }) => {
  const email = settings.EmailSettings;
  if (email.EnableSMTPAuth || email.SMTPPassword === "") return;
  report(
    "EmailSettings.EnableSMTPAuth",
    "warning",
    "SMTPPassword is set but EnableSMTPAuth is false, so no login is attempted",
    "set EnableSMTPAuth to true if the server needs a login",
  );
};

const portInRange: Rule = ({ settings, report, from }) => {
  if (smtpPortNumber(settings) !== undefined) return;
  report(
    "EmailSettings.SMTPPort",
    "error",
    `SMTPPort ${JSON.stringify(settings.EmailSettings.SMTPPort)}${from("EmailSettings.SMTPPort")} is not a port number 1..65535`,
    "use the submission port, e.g. 587 (STARTTLS) or 465 (TLS)",
  );
};

const timeoutPositive: Rule = ({ settings, report, from }) => {
  const timeout = settings.EmailSettings.SMTPServerTimeout;
  if (Number.isInteger(timeout) && timeout > 0) return;
  report(
    "EmailSettings.SMTPServerTimeout",
    "error",
    `SMTPServerTimeout ${timeout}${from("EmailSettings.SMTPServerTimeout")} is not a positive number of seconds`,
    "use a positive whole number of seconds, e.g. 10 (0 means the default, 10)",
  );
};

const serverIsHost: Rule = ({ settings, report, from }) => {
  const email = settings.EmailSettings;
  if (!email.SendEmailNotifications || isValidHost(email.SMTPServer.trim())) return;
  report(
    "EmailSettings.SMTPServer",
    "error",
    `SMTPServer ${JSON.stringify(email.SMTPServer)}${from("EmailSettings.SMTPServer")} is not a valid host name or IP address`,
    "set SMTPServer to the host name only, without scheme or port, e.g. email-smtp.eu-west-1.amazonaws.com",
  );
};

const addressesValid: Rule = ({ settings, report, from }) => {
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
};

const noHeaderInjection: Rule = ({ settings, report }) => {
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
};

const siteUrlValid: Rule = ({ settings, report, from }) => {
  const url = settings.ServiceSettings.SiteURL;
  if (url === "" || urlHost(url) !== undefined) return;
  report(
    "ServiceSettings.SiteURL",
    "error",
    `SiteURL ${JSON.stringify(url)}${from("ServiceSettings.SiteURL")} is not an http(s) URL`,
    "set SiteURL to the public URL, e.g. https://chat.example.com (its host becomes the EHLO name)",
  );
};

const tlsModeMatchesPort: Rule = ({ settings, report }) => {
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
};

const port25FromLambda: Rule = ({ settings, report }) => {
  if (smtpPortNumber(settings) !== 25 || isLoopbackHost(settings.EmailSettings.SMTPServer)) return;
  report(
    "EmailSettings.SMTPPort",
    "warning",
    "port 25 is blocked for outbound traffic from AWS Lambda (and throttled on EC2)",
    "use the submission port 587 (STARTTLS) or 465 (TLS)",
  );
};

const skipVerification: Rule = ({ settings, report }) => {
  if (!settings.EmailSettings.SkipServerCertificateVerification) return;
  report(
    "EmailSettings.SkipServerCertificateVerification",
    "warning",
    "the server certificate is not verified: anyone on the path can read the mail and the credentials",
    "fix the server certificate or CA and set SkipServerCertificateVerification to false",
  );
};

const clearTextToRemote: Rule = ({ settings, report }) => {
  const email = settings.EmailSettings;
  if (!email.SendEmailNotifications || email.ConnectionSecurity !== "" || isLoopbackHost(email.SMTPServer))
    return;
  report(
    "EmailSettings.ConnectionSecurity",
    "warning",
    `mail${hasCredentials(settings) ? " and credentials" : ""} would go in clear text to ${email.SMTPServer}, which is not on this machine`,
    'set ConnectionSecurity to "STARTTLS" or "TLS"',
  );
};

const alertsNeedEmail: Rule = ({ settings, report }) => {
  if (!settings.ServiceSettings.EnableSecurityFixAlert || settings.EmailSettings.SendEmailNotifications)
    return;
  report(
    "ServiceSettings.EnableSecurityFixAlert",
    "warning",
    "EnableSecurityFixAlert is true but SendEmailNotifications is false: security bulletins will not be emailed",
    "set SendEmailNotifications to true, or EnableSecurityFixAlert to false",
  );
};

const sesEndpoint: Rule = ({ settings, report }) => {
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
};

const RULES: readonly Rule[] = [
  connectionSecurityIsKnown,
  credentialsNeedEncryption,
  authNeedsCredentials,
  passwordWithoutAuth,
  portInRange,
  timeoutPositive,
  serverIsHost,
  addressesValid,
  noHeaderInjection,
  siteUrlValid,
  tlsModeMatchesPort,
  port25FromLambda,
  skipVerification,
  clearTextToRemote,
  alertsNeedEmail,
  sesEndpoint,
];

function describeOrigin(origin: Origin | undefined): string {
  if (!origin || origin.source === "default" || !origin.location) return "";
  return ` (from ${origin.location})`;
}

/** Every problem with the settings, all at once. Never throws. */
export function validateLoadedSettings(loaded: LoadedSettings): ValidationResult {
  const problems: Problem[] = [...loaded.inputErrors, ...loaded.problems];
  const ctx: RuleContext = {
    settings: loaded.settings,
    report(setting, severity, message, fix) {
      problems.push({ setting, severity, message, fix, source: loaded.origins.get(setting)?.source });
    },
    from: (setting) => describeOrigin(loaded.origins.get(setting)),
  };
  for (const rule of RULES) rule(ctx);
  return {
    valid: !problems.some((problem) => problem.severity === "error"),
    problems,
    settings: sanitizeSettings(loaded.settings),
  };
}
