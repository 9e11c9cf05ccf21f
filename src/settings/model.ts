/**
 * The settings model: Mattermost's EmailSettings (plus the few ServiceSettings and
 * TeamSettings that mail depends on), with Mattermost's defaults from
 * `EmailSettings.SetDefaults`.
 */

export type ConnectionSecurity = "" | "TLS" | "STARTTLS";

/** Mattermost's accepted ConnectionSecurity values ("PLAIN" is read as "" when loading). */
export const CONNECTION_SECURITY_VALUES: readonly string[] = [
  "",
  "TLS",
  "STARTTLS",
] satisfies ConnectionSecurity[];

export interface EmailSettings {
  SendEmailNotifications: boolean;
  EnableSignUpWithEmail: boolean;
  EnableEmailInvitations: boolean;
  FeedbackName: string;
  FeedbackEmail: string;
  ReplyToAddress: string;
  FeedbackOrganization: string;
  SMTPServer: string;
  /** A string, as in Mattermost; validation requires an integer 1..65535. */
  SMTPPort: string;
  EnableSMTPAuth: boolean;
  SMTPUsername: string;
  SMTPPassword: string;
  /** Validation rejects anything but "", "TLS" and "STARTTLS" ("PLAIN" is read as ""). */
  ConnectionSecurity: string;
  SkipServerCertificateVerification: boolean;
  /** Seconds. */
  SMTPServerTimeout: number;
}

export interface ServiceSettings {
  EnableSecurityFixAlert: boolean;
  SiteURL: string;
}

export interface TeamSettings {
  SiteName: string;
}

export interface HeraldSettings {
  EmailSettings: EmailSettings;
  ServiceSettings: ServiceSettings;
  TeamSettings: TeamSettings;
}

export type SectionName = keyof HeraldSettings;
export type SettingKind = "bool" | "string" | "int";

/** Where a value came from, lowest precedence first. */
export type SettingSource = "default" | "preset" | "file" | "ssm" | "env" | "override";

export interface SettingDefinition {
  section: SectionName;
  key: string;
  /** "EmailSettings.SMTPServer" */
  path: string;
  kind: SettingKind;
  /** The default, or undefined where it depends on other settings (EnableSMTPAuth). */
  default: boolean | string | number | undefined;
  secret?: boolean;
  description: string;
}

function define(
  section: SectionName,
  key: string,
  kind: SettingKind,
  defaultValue: SettingDefinition["default"],
  description: string,
  secret = false,
): SettingDefinition {
  return { section, key, path: `${section}.${key}`, kind, default: defaultValue, description, secret };
}

export const DEFAULT_SITE_NAME = "Herald";
export const DEFAULT_SMTP_SERVER = "localhost";
export const DEFAULT_SMTP_PORT = "10025";
export const DEFAULT_SMTP_TIMEOUT_SECONDS = 10;

export const SETTINGS: readonly SettingDefinition[] = [
  define(
    "EmailSettings",
    "SendEmailNotifications",
    "bool",
    true,
    "false: notifications are acknowledged and not sent",
  ),
  define("EmailSettings", "EnableSignUpWithEmail", "bool", true, "carried, not used for sending"),
  define("EmailSettings", "EnableEmailInvitations", "bool", false, "carried, not used for sending"),
  define("EmailSettings", "FeedbackName", "string", "", "display name of the sender"),
  define("EmailSettings", "FeedbackEmail", "string", "test@example.com", "sender address (From)"),
  define("EmailSettings", "ReplyToAddress", "string", "test@example.com", "Reply-To address"),
  define("EmailSettings", "FeedbackOrganization", "string", "", 'footer "Sent by ..."'),
  define("EmailSettings", "SMTPServer", "string", DEFAULT_SMTP_SERVER, 'SMTP host; "" means the default'),
  define("EmailSettings", "SMTPPort", "string", DEFAULT_SMTP_PORT, "SMTP port, 1..65535"),
  define(
    "EmailSettings",
    "EnableSMTPAuth",
    "bool",
    undefined,
    'default: false if ConnectionSecurity is "", else true',
  ),
  define("EmailSettings", "SMTPUsername", "string", "", "SMTP user name (for Amazon SES: the access key id)"),
  define(
    "EmailSettings",
    "SMTPPassword",
    "string",
    "",
    "SMTP password (secret; shown only as asterisks)",
    true,
  ),
  define(
    "EmailSettings",
    "ConnectionSecurity",
    "string",
    "",
    '"" (clear text), "TLS" (implicit) or "STARTTLS"',
  ),
  define(
    "EmailSettings",
    "SkipServerCertificateVerification",
    "bool",
    false,
    "do not verify the server certificate",
  ),
  define(
    "EmailSettings",
    "SMTPServerTimeout",
    "int",
    DEFAULT_SMTP_TIMEOUT_SECONDS,
    "seconds for each SMTP stage; 0 means the default",
  ),
  define(
    "ServiceSettings",
    "EnableSecurityFixAlert",
    "bool",
    true,
    "email security bulletins to the administrators",
  ),
  define("ServiceSettings", "SiteURL", "string", "", "its host is the EHLO name and the Message-ID domain"),
  define("TeamSettings", "SiteName", "string", DEFAULT_SITE_NAME, "subject prefix [SiteName]"),
];

export const SETTINGS_BY_PATH: ReadonlyMap<string, SettingDefinition> = new Map(
  SETTINGS.map((d) => [d.path, d]),
);

export const SECTIONS: readonly SectionName[] = ["EmailSettings", "ServiceSettings", "TeamSettings"];

export function getSetting(settings: HeraldSettings, def: SettingDefinition): unknown {
  return (settings[def.section] as unknown as Record<string, unknown>)[def.key];
}

export function setSetting(settings: HeraldSettings, def: SettingDefinition, value: unknown): void {
  (settings[def.section] as unknown as Record<string, unknown>)[def.key] = value;
}
