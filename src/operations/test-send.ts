import { composeTestEmail } from "../mail/test-email.ts";
import { hasLineBreak, isValidEmailAddress } from "../net/hosts.ts";
import type { LoadedSettings, LoadSettingsOptions } from "../settings/load.ts";
import { validateLoadedSettings } from "../settings/validate.ts";
import { configReport } from "../smtp/config-report.ts";
import { SmtpConfigError } from "../smtp/errors.ts";
import { redactSecrets } from "../smtp/redact.ts";
import type { SmtpReport } from "../smtp/report.ts";
import { runSmtpSession } from "../smtp/session.ts";
import { loadWithOverrides } from "./overrides.ts";

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
  /** The saved settings, when the caller has already loaded them from `sources`. */
  saved?: LoadedSettings;
}

/**
 * Mattermost's "Test Connection": send `[SiteName] Testing Email Settings` with the saved
 * settings, or with unsaved ones over them. A changed server, port or username needs the
 * password re-entered, so the saved password never goes to a server it was not saved for.
 * Always resolves to a report; SMTP failures are results, not exceptions.
 */
export async function testSend(request: TestSendRequest, options: TestSendOptions): Promise<SmtpReport> {
  const { saved, effective, passwordRefusal } = await loadWithOverrides(
    options.sources,
    request.settings,
    options.saved,
  );
  const secrets = [saved.settings.EmailSettings.SMTPPassword, effective.settings.EmailSettings.SMTPPassword];
  const refusal = passwordRefusal ?? settingsRefusal(effective);
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
