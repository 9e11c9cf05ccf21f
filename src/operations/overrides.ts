import { MASKED_SECRET } from "../constants.ts";
import { loadSettings, type LoadedSettings, type LoadSettingsOptions } from "../settings/load.ts";
import { SmtpConfigError } from "../smtp/errors.ts";

/** The settings fields that decide where the saved password may be sent. */
const CONNECTION_FIELDS = ["SMTPServer", "SMTPPort", "SMTPUsername"] as const;

export interface OverriddenSettings {
  saved: LoadedSettings;
  /** saved settings with the event's unsaved ones over them */
  effective: LoadedSettings;
  /** set when the saved password must not be used with the effective settings */
  passwordRefusal?: SmtpConfigError;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The console shows the saved password as asterisks: sent back unchanged, it means "keep it". */
function withoutMaskedPassword(settings: unknown): unknown {
  if (!isRecord(settings) || !isRecord(settings.EmailSettings)) return settings;
  if (settings.EmailSettings.SMTPPassword !== MASKED_SECRET) return settings;
  const { SMTPPassword: _masked, ...email } = settings.EmailSettings;
  return { ...settings, EmailSettings: email };
}

/**
 * Saved settings with unsaved ones (a Lambda event's `settings`) over them, and Mattermost's
 * rule for them: a changed server, port or username needs the password re-entered, so the
 * saved password never goes to a server it was not saved for.
 */
export async function loadWithOverrides(
  sources: LoadSettingsOptions,
  overrides: unknown,
  /** the saved settings when the caller has already loaded them from `sources` */
  alreadyLoaded?: LoadedSettings,
): Promise<OverriddenSettings> {
  const saved = alreadyLoaded ?? (await loadSettings(sources));
  if (overrides === undefined) return { saved, effective: saved };
  const cleaned = withoutMaskedPassword(overrides);
  const effective = await loadSettings({ ...sources, overrides: cleaned });
  const email = isRecord(cleaned) && isRecord(cleaned.EmailSettings) ? cleaned.EmailSettings : {};
  if ("SMTPPassword" in email || saved.settings.EmailSettings.SMTPPassword === "")
    return { saved, effective };
  const changed = CONNECTION_FIELDS.filter(
    (key) => saved.settings.EmailSettings[key] !== effective.settings.EmailSettings[key],
  );
  if (changed.length === 0) return { saved, effective };
  const passwordRefusal = Object.assign(
    new SmtpConfigError(
      "EPASSWORDREQUIRED",
      `${changed.join(", ")} changed but no SMTPPassword was given: the saved password is only sent to the saved server`,
    ),
    { hint: "Re-enter the SMTP password (EmailSettings.SMTPPassword) along with the changed settings." },
  );
  return { saved, effective, passwordRefusal };
}
