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
