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
  /** Mattermost's server model keeps it in ServiceSettings, accepted as an alias. */
  EnableSecurityFixAlert: boolean;
}

export interface ServiceSettings {
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
  /**
   * Other paths the setting is read from in every source (config file, SSM, MM_* variables,
   * event overrides). The documented path wins when a source gives both.
   */
  aliases: readonly string[];
  /**
   * The setting decides where the saved SMTP password may be sent: unsaved settings that
   * change it ("change"), or turn it on ("enable"), need the password re-entered.
   */
  guardsPassword?: "change" | "enable";
}

type DefinitionOptions = Partial<Pick<SettingDefinition, "secret" | "aliases" | "guardsPassword">>;

function define(
  section: SectionName,
  key: string,
  kind: SettingKind,
  defaultValue: SettingDefinition["default"],
  description: string,
  options: DefinitionOptions = {},
): SettingDefinition {
  return {
    section,
    key,
    path: `${section}.${key}`,
    kind,
    default: defaultValue,
    description,
    secret: options.secret ?? false,
    aliases: options.aliases ?? [],
    ...(options.guardsPassword ? { guardsPassword: options.guardsPassword } : {}),
  };
}

export const DEFAULT_SITE_NAME = "Herald";
export const DEFAULT_SMTP_SERVER = "localhost";
export const DEFAULT_SMTP_PORT = "10025";
export const DEFAULT_SMTP_TIMEOUT_SECONDS = 10;
/** An hour: far beyond any real server, and far below setTimeout's limit (about 24.8 days). */
export const MAX_SMTP_TIMEOUT_SECONDS = 3600;

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
  define("EmailSettings", "SMTPServer", "string", DEFAULT_SMTP_SERVER, 'SMTP host; "" means the default', {
    guardsPassword: "change",
  }),
  define("EmailSettings", "SMTPPort", "string", DEFAULT_SMTP_PORT, "SMTP port, 1..65535", {
    guardsPassword: "change",
  }),
  define(
    "EmailSettings",
    "EnableSMTPAuth",
    "bool",
    undefined,
    'default: false if ConnectionSecurity is "", else true',
  ),
  define(
    "EmailSettings",
    "SMTPUsername",
    "string",
    "",
    "SMTP user name (for Amazon SES: the access key id)",
    {
      guardsPassword: "change",
    },
  ),
  define("EmailSettings", "SMTPPassword", "string", "", "SMTP password (secret; shown only as asterisks)", {
    secret: true,
  }),
  define(
    "EmailSettings",
    "ConnectionSecurity",
    "string",
    "",
    '"" (clear text), "TLS" (implicit) or "STARTTLS"',
    // Decides whether the password travels encrypted at all.
    { guardsPassword: "change" },
  ),
  define(
    "EmailSettings",
    "SkipServerCertificateVerification",
    "bool",
    false,
    "do not verify the server certificate",
    // Without verification, anyone on the path can pose as the saved server.
    { guardsPassword: "enable" },
  ),
  define(
    "EmailSettings",
    "SMTPServerTimeout",
    "int",
    DEFAULT_SMTP_TIMEOUT_SECONDS,
    `seconds for each SMTP stage, at most ${MAX_SMTP_TIMEOUT_SECONDS}; 0 means the default`,
  ),
  define(
    "EmailSettings",
    "EnableSecurityFixAlert",
    "bool",
    true,
    "email security bulletins to the administrators",
    // Documented under EmailSettings (Mattermost's SMTP configuration reference); the
    // server's config model keeps it under ServiceSettings.
    { aliases: ["ServiceSettings.EnableSecurityFixAlert"] },
  ),
  define("ServiceSettings", "SiteURL", "string", "", "its host is the EHLO name and the Message-ID domain"),
  define("TeamSettings", "SiteName", "string", DEFAULT_SITE_NAME, "subject prefix [SiteName]"),
];

export const SETTINGS_BY_PATH: ReadonlyMap<string, SettingDefinition> = new Map(
  SETTINGS.map((d) => [d.path, d]),
);

/** Where a source may give a setting: its documented path first, then its aliases. */
export function settingPaths(def: SettingDefinition): readonly string[] {
  return [def.path, ...def.aliases];
}

/** Every path a source may use (documented or alias), to its setting. */
export const SETTINGS_BY_ANY_PATH: ReadonlyMap<string, SettingDefinition> = new Map(
  SETTINGS.flatMap((def) => settingPaths(def).map((path) => [path, def] as const)),
);

export const SECTIONS: readonly SectionName[] = ["EmailSettings", "ServiceSettings", "TeamSettings"];

/** "EmailSettings.SMTPServer" -> ["EmailSettings", "SMTPServer"] */
export function splitSettingPath(path: string): [section: string, key: string] {
  const dot = path.indexOf(".");
  return [path.slice(0, dot), path.slice(dot + 1)];
}

export function getSetting(settings: HeraldSettings, def: SettingDefinition): unknown {
  return (settings[def.section] as unknown as Record<string, unknown>)[def.key];
}

export function setSetting(settings: HeraldSettings, def: SettingDefinition, value: unknown): void {
  (settings[def.section] as unknown as Record<string, unknown>)[def.key] = value;
}
