import type { HeraldSettings } from "../settings/model.ts";
import { hasCredentials } from "../settings/validate.ts";

/** Whether a probe logs in; when it does not, why (the report says so). */
export type ProbeLogin = { login: true } | { login: false; skipped: string };

/**
 * A probe is the setup guide's telnet check: it shows what the server offers (banner, EHLO,
 * TLS, AUTH methods) even when there is nothing to log in with. So EnableSMTPAuth without
 * credentials skips the login here, where test-send refuses to connect. Whether logging in is
 * safe at all (never in clear text to a remote host) stays with the pre-connect check.
 */
export function probeLogin(settings: HeraldSettings, noLogin: boolean): ProbeLogin {
  if (noLogin) return { login: false, skipped: "login turned off (--no-login)" };
  if (!settings.EmailSettings.EnableSMTPAuth) return { login: false, skipped: "EnableSMTPAuth is false" };
  if (!hasCredentials(settings)) {
    return {
      login: false,
      skipped:
        "EnableSMTPAuth is true but SMTPUsername or SMTPPassword is empty: set both to test the login (test-send needs them)",
    };
  }
  return { login: true };
}
