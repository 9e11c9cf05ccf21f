import type { HeraldSettings } from "../settings/model.ts";

/**
 * Why the security-alert check does not run, or undefined when it does: Mattermost emails
 * security bulletins only when both EnableSecurityFixAlert and SendEmailNotifications are on.
 */
export function securityCheckSkipReason(settings: HeraldSettings): string | undefined {
  if (!settings.EmailSettings.EnableSecurityFixAlert) return "EnableSecurityFixAlert is false";
  if (!settings.EmailSettings.SendEmailNotifications) return "SendEmailNotifications is false";
  return undefined;
}
