import type { SESv2Client } from "@aws-sdk/client-sesv2";
import type { Transport } from "../constants.ts";
import { describeEventIssues, eventObject, validateSettingsEventSchema } from "../lambda/events.ts";
import { emailDomain } from "../net/hosts.ts";
import { checkSesAccount, type SesAccountStatus, type SesIdentityStatus } from "./ses-account-checks.ts";
import { sesSmtpEndpointRegion } from "../ses/regions.ts";
import { defaultSettings, type LoadSettingsOptions } from "../settings/load.ts";
import { sesIdentityFor, type DeploymentFacts } from "../settings/deployment.ts";
import type { HeraldSettings } from "../settings/model.ts";
import type { Problem } from "../settings/problems.ts";
import { blockingErrors } from "../transport-needs.ts";
import { validateLoadedSettings, type ValidationResult } from "../settings/validate.ts";
import type { SmtpReport, SmtpStage } from "../smtp/report.ts";
import { runSmtpSession } from "../smtp/session-on-demand.ts";
import { configReport } from "../smtp/config-report.ts";
import { redactSecrets } from "../smtp/redact.ts";
import { loadWithOverrides } from "./overrides.ts";

export interface ValidateSettingsRequest {
  /** Unsaved settings in config.json shape, over the saved ones. */
  settings?: unknown;
  /** Also connect to the server (a probe with login). @default false */
  connect?: boolean;
}

export interface ValidateSettingsOptions {
  sources: LoadSettingsOptions;
  /** HERALD_TRANSPORT: with `ses-api` the SES account is checked in `region`. */
  transport: Transport;
  /** The runtime's AWS region. @default none */
  region?: string;
  /** An SES client for a region (the runtime's clients). */
  sesClient: (region: string) => SESv2Client;
  deadline?: number;
  /** What the deployment fixes around the settings (HERALD_ALLOWED_SENDER). @default none */
  deployment?: DeploymentFacts;
}

export interface ValidateSettingsResult extends ValidationResult {
  account?: SesAccountStatus;
  identity?: SesIdentityStatus;
  probe?: SmtpReport;
}

/** The SES region to check, when the transport is SES (API, or an SES SMTP endpoint). */
export function sesRegionFor(
  settings: HeraldSettings,
  transport: Transport,
  runtimeRegion: string | undefined,
): string | undefined {
  const endpointRegion = sesSmtpEndpointRegion(settings.EmailSettings.SMTPServer);
  if (endpointRegion) return endpointRegion;
  return transport === "ses-api" ? runtimeRegion : undefined;
}

const PROBE_SETTING: Partial<Record<SmtpStage, string>> = {
  auth: "EmailSettings.SMTPPassword",
  tls: "EmailSettings.ConnectionSecurity",
  starttls: "EmailSettings.ConnectionSecurity",
};

/**
 * Validation, plus SES account checks when the transport is SES, plus an optional probe.
 * `valid` is false when validation, SES or the probe found an error.
 */
export async function validateSettings(
  request: ValidateSettingsRequest,
  options: ValidateSettingsOptions,
): Promise<ValidateSettingsResult> {
  const {
    saved,
    effective: loaded,
    passwordRefusal,
  } = await loadWithOverrides(options.sources, request.settings);
  const validation = validateLoadedSettings(loaded, options.deployment);
  const result: ValidateSettingsResult = { ...validation, problems: [...validation.problems] };

  const region = sesRegionFor(loaded.settings, options.transport, options.region);
  if (region) {
    const client = options.sesClient(region);
    const senderDomain = emailDomain(loaded.settings.EmailSettings.FeedbackEmail);
    const identity = sesIdentityFor(options.deployment, senderDomain);
    const ses = await checkSesAccount(client, region, identity, options.deadline);
    if (ses.account) result.account = ses.account;
    if (ses.identity) result.identity = ses.identity;
    result.problems.push(...ses.problems);
  }

  if (request.connect && validation.valid) {
    result.probe = passwordRefusal
      ? configReport(passwordRefusal)
      : await runSmtpSession({ settings: loaded.settings, deadline: options.deadline });
    if (!result.probe.ok) result.problems.push(probeProblem(result.probe));
  }
  // With ses-api, SMTP settings are reported but do not make the settings invalid.
  result.valid = blockingErrors(result.problems, options.transport).length === 0;
  // Nothing puts a password here on purpose; a server's or a value's echo is masked.
  return redactSecrets(result, [
    saved.settings.EmailSettings.SMTPPassword,
    loaded.settings.EmailSettings.SMTPPassword,
  ]);
}

function probeProblem(probe: SmtpReport): Problem {
  const code = probe.error?.code;
  return {
    setting:
      code === "EPASSWORDREQUIRED"
        ? "EmailSettings.SMTPPassword"
        : (PROBE_SETTING[probe.stage] ?? "EmailSettings.SMTPServer"),
    severity: "error",
    ...(code ? { code } : {}),
    message: `the connection test failed at ${probe.stage}: ${probe.error?.message ?? "unknown error"}`,
    fix: probe.hint ?? "see the probe report",
  };
}

/**
 * The validate-settings Lambda's work: the event (`{}`, `{ "connect": true }`,
 * `{ "settings": {...} }`) checked, then validated. A bad event is a result, not an error.
 */
export async function validateSettingsEvent(
  event: unknown,
  options: ValidateSettingsOptions,
): Promise<ValidateSettingsResult> {
  const parsed = validateSettingsEventSchema.safeParse(eventObject(event));
  if (parsed.success) return validateSettings(parsed.data, options);
  return {
    valid: false,
    problems: [
      {
        setting: "event",
        severity: "error",
        code: "EEVENT",
        message: `invalid event: ${describeEventIssues(parsed.error)}`,
        fix: 'invoke with {}, { "connect": true } or { "settings": { "EmailSettings": { ... } } }',
      },
    ],
    settings: defaultSettings(),
  };
}

/** The one log line of a validation: setting names and outcome, never values. */
export function validationLogFields(result: ValidateSettingsResult): Record<string, unknown> {
  return {
    event: result.valid ? "validate-settings.valid" : "validate-settings.invalid",
    valid: result.valid,
    errors: result.problems.filter((p) => p.severity === "error").map((p) => p.setting),
    warnings: result.problems.filter((p) => p.severity === "warning").map((p) => p.setting),
    sandbox: result.account?.sandbox,
    probe: result.probe
      ? { ok: result.probe.ok, stage: result.probe.stage, code: result.probe.error?.code }
      : undefined,
  };
}
