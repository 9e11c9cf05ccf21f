import { MASKED_SECRET } from "../constants.ts";
import { loadSettings, type LoadedSettings, type LoadSettingsOptions } from "../settings/load.ts";
import { getSetting, SETTINGS, type HeraldSettings, type SettingDefinition } from "../settings/model.ts";
import { PasswordRequiredError } from "../smtp/errors.ts";

/**
 * The settings that decide where the saved password may go (tagged `guardsPassword` in the
 * settings table): server, port, username, ConnectionSecurity, and certificate checks.
 * EnableSMTPAuth is not among them: it decides whether the password is sent, and a login
 * with the saved settings sends it only where it was saved for.
 */
export const PASSWORD_GUARDS: readonly SettingDefinition[] = SETTINGS.filter((def) => def.guardsPassword);

/** The guarding settings that unsaved ones change in a way that needs the password re-entered. */
export function passwordGuardChanges(saved: HeraldSettings, effective: HeraldSettings): string[] {
  return PASSWORD_GUARDS.filter((def) => {
    const before = getSetting(saved, def);
    const after = getSetting(effective, def);
    return def.guardsPassword === "enable" ? after === true && before !== true : after !== before;
  }).map((def) => def.key);
}

export interface OverriddenSettings {
  saved: LoadedSettings;
  /** saved settings with the event's unsaved ones over them */
  effective: LoadedSettings;
  /** set when the saved password must not be used with the effective settings */
  passwordRefusal?: PasswordRequiredError;
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
 * rule for them, widened: a changed server, port, username or ConnectionSecurity, or
 * certificate verification turned off, needs the password re-entered, so the saved password
 * never goes to a server (or an impostor) it was not saved for.
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
  // A password the event gave (and that parsed) is a re-entered one.
  const reentered = effective.origins.get("EmailSettings.SMTPPassword")?.source === "override";
  if (reentered || saved.settings.EmailSettings.SMTPPassword === "") return { saved, effective };
  const changed = passwordGuardChanges(saved.settings, effective.settings);
  if (changed.length === 0) return { saved, effective };
  const passwordRefusal = new PasswordRequiredError(changed);
  return { saved, effective, passwordRefusal };
}
