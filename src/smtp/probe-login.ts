import type { HeraldSettings } from "../settings/model.ts";
import { loginBlockers } from "../settings/validate.ts";

/** Whether a probe logs in; when it does not, why (the report says so). */
export type ProbeLogin = { login: true } | { login: false; skipped: string };

/**
 * A probe is the setup guide's telnet check: it shows what the server offers (banner, EHLO,
 * TLS, AUTH methods) even when there is nothing to log in with. So where the login rules find
 * credentials missing (ECREDENTIALS), the probe skips the login and says why, while test-send
 * refuses to connect. Every other refusal (credentials in clear text, a bad host...) stays with
 * the pre-connect check, so probe and test-send agree on when a session may start.
 */
export function probeLogin(settings: HeraldSettings, noLogin: boolean): ProbeLogin {
  if (noLogin) return { login: false, skipped: "login turned off (--no-login)" };
  if (!settings.EmailSettings.EnableSMTPAuth) return { login: false, skipped: "EnableSMTPAuth is false" };
  const missing = loginBlockers(settings).filter((problem) => problem.code === "ECREDENTIALS");
  if (missing.length === 0) return { login: true };
  return {
    login: false,
    skipped: `${missing.map((problem) => problem.message).join("; ")}: the probe does not log in (test-send needs both)`,
  };
}
