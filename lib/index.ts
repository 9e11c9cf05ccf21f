// Herald's constructs, for use in any CDK app: `import { SendingDomain, ... } from "herald/lib/index.ts"`.
export { EmailSettingsParameters, normalizeParameterPrefix } from "./email-settings-parameters.ts";
export type {
  ConnectionSecurity,
  EmailSettingsParametersProps,
  IEmailSettings,
  SmtpServerSettings,
} from "./email-settings-parameters.ts";
export { CONTEXT_KEYS, HeraldConfigError, readHeraldContext } from "./herald-config.ts";
export type { ContextKey, ContextProblem, HeraldConfig } from "./herald-config.ts";
export { HeraldStack, TEST_SEND_EVENT } from "./herald-stack.ts";
export type { HeraldStackProps } from "./herald-stack.ts";
export { DEFAULT_BOUNCE_RATE_THRESHOLD, DEFAULT_COMPLAINT_RATE_THRESHOLD, Monitoring } from "./monitoring.ts";
export type { MonitoringProps } from "./monitoring.ts";
export {
  DEFAULT_MAX_SEND_RATE,
  NotificationPipeline,
  putEventsCommand,
  SENDS_PER_INSTANCE,
  sendingConcurrency,
} from "./notification-pipeline.ts";
export type { NotificationPipelineProps } from "./notification-pipeline.ts";
export type { HeraldFunctionOptions, LogLevel } from "./private/herald-function.ts";
export { DEFAULT_SECURITY_CHECK_SCHEDULE, SecurityAlerts } from "./security-alerts.ts";
export type { SecurityAlertsProps } from "./security-alerts.ts";
export { DMARC_POLICIES, SendingDomain } from "./sending-domain.ts";
export type { DmarcPolicy, ISendingIdentity, SendingDomainProps } from "./sending-domain.ts";
export { SettingsFunctions } from "./settings-functions.ts";
export type { SettingsFunctionsProps } from "./settings-functions.ts";
export { SmtpCredentials } from "./smtp-credentials.ts";
export type { SmtpCredentialsProps } from "./smtp-credentials.ts";
