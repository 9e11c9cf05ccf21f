/**
 * Names shared by the runtime (handlers, CLI) and the CDK app. Kept free of imports so
 * both sides can depend on it without pulling the other in.
 */

/** Environment variable naming a Mattermost-shaped config.json to read settings from. */
export const CONFIG_FILE_ENV = "HERALD_CONFIG_FILE";

/** Environment variable holding the SSM prefix of the settings parameters. */
export const PARAMETER_PREFIX_ENV = "HERALD_PARAMETER_PREFIX";

/** Environment variable naming the transport: "ses-smtp", "smtp" or "ses-api". */
export const TRANSPORT_ENV = "HERALD_TRANSPORT";

/** Default SSM prefix of the settings parameters. */
export const DEFAULT_PARAMETER_PREFIX = "/herald";

/** How Mattermost shows a stored secret: the password never leaves the settings store. */
export const MASKED_SECRET = "********************************";

/** The SSM parameter that holds one setting: `<prefix>/EmailSettings/SMTPServer`. */
export function parameterName(prefix: string, settingPath: string): string {
  return `${prefix.replace(/\/+$/, "")}/${settingPath.replace(".", "/")}`;
}

/** The environment variable that overrides one setting: `MM_EMAILSETTINGS_SMTPSERVER`. */
export function envVarName(settingPath: string): string {
  return `MM_${settingPath.replace(".", "_").toUpperCase()}`;
}
