import { MASKED_SECRET } from "../constants.ts";
import { composeTestEmail } from "../mail/test-email.ts";
import { hasLineBreak, isValidEmailAddress } from "../net/hosts.ts";
import { loadSettings, type LoadedSettings, type LoadSettingsOptions } from "../settings/load.ts";
import { validateLoadedSettings } from "../settings/validate.ts";
import { classifySmtpError } from "../smtp/classify.ts";
import { SmtpConfigError } from "../smtp/errors.ts";
import { redactSecrets } from "../smtp/redact.ts";
import type { SmtpReport } from "../smtp/report.ts";
import { runSmtpSession } from "../smtp/session.ts";

export interface TestSendRequest {
  /** @default EmailSettings.FeedbackEmail */
  to?: string;
  /** Unsaved settings in config.json shape, over the saved ones (the console's form). */
  settings?: unknown;
}

export interface TestSendOptions {
  /** Where the saved settings come from. */
  sources: LoadSettingsOptions;
  /** Epoch ms by which the send must be over. */
  deadline?: number;
}

/** The settings fields that decide where the saved password may be sent. */
const CONNECTION_FIELDS = ["SMTPServer", "SMTPPort", "SMTPUsername"] as const;

/**
 * Mattermost's "Test Connection": send `[SiteName] Testing Email Settings` with the saved
 * settings, or with unsaved ones over them. A changed server, port or username needs the
 * password re-entered, so the saved password never goes to a server it was not saved for.
 * Always resolves to a report; SMTP failures are results, not exceptions.
 */
export async function testSend(request: TestSendRequest, options: TestSendOptions): Promise<SmtpReport> {
  const saved = await loadSettings(options.sources);
  const secrets = [saved.settings.EmailSettings.SMTPPassword];
  const overrides = request.settings === undefined ? undefined : withoutMaskedPassword(request.settings);
  const effective = overrides === undefined ? saved : await loadSettings({ ...options.sources, overrides });
  secrets.push(effective.settings.EmailSettings.SMTPPassword);

  const refusal = passwordRefusal(saved, effective, overrides) ?? settingsRefusal(effective);
  if (refusal) return redactSecrets(configReport(refusal), secrets);

  const to = (request.to ?? effective.settings.EmailSettings.FeedbackEmail).trim();
  if (!isValidEmailAddress(to) || hasLineBreak(to)) {
    return configReport(
      Object.assign(
        new SmtpConfigError(
          "ERECIPIENT",
          `"to" is not an email address: ${JSON.stringify(to.slice(0, 100))}`,
        ),
        {
          hint: 'Pass a plain address, e.g. { "to": "you@example.com" }.',
        },
      ),
    );
  }
  const message = await composeTestEmail(effective.settings, to);
  return runSmtpSession({ settings: effective.settings, message, deadline: options.deadline });
}

function configReport(error: SmtpConfigError): SmtpReport {
  const { stage, error: info, hint } = classifySmtpError(error, "config");
  return { ok: false, stage, error: info, ...(hint ? { hint } : {}) };
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

function passwordRefusal(
  saved: LoadedSettings,
  effective: LoadedSettings,
  overrides: unknown,
): SmtpConfigError | undefined {
  if (overrides === undefined) return undefined;
  const overriddenEmail =
    isRecord(overrides) && isRecord(overrides.EmailSettings) ? overrides.EmailSettings : {};
  if ("SMTPPassword" in overriddenEmail) return undefined;
  const changed = CONNECTION_FIELDS.filter(
    (key) => saved.settings.EmailSettings[key] !== effective.settings.EmailSettings[key],
  );
  if (changed.length === 0 || saved.settings.EmailSettings.SMTPPassword === "") return undefined;
  return Object.assign(
    new SmtpConfigError(
      "EPASSWORDREQUIRED",
      `${changed.join(", ")} changed but no SMTPPassword was given: the saved password is only sent to the saved server`,
    ),
    { hint: "Re-enter the SMTP password (EmailSettings.SMTPPassword) along with the changed settings." },
  );
}

function settingsRefusal(loaded: LoadedSettings): SmtpConfigError | undefined {
  const errors = validateLoadedSettings(loaded).problems.filter((p) => p.severity === "error");
  if (errors.length === 0) return undefined;
  return Object.assign(
    new SmtpConfigError(
      "EINVALIDSETTINGS",
      `the settings are invalid: ${errors.map((p) => `${p.setting}: ${p.message}`).join("; ")}`,
    ),
    { hint: errors.map((p) => p.fix).join("; ") },
  );
}
