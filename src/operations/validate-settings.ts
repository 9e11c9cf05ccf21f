import { SESv2Client } from "@aws-sdk/client-sesv2";
import { TRANSPORT_ENV } from "../constants.ts";
import { emailDomain } from "../net/hosts.ts";
import { checkSesAccount, type SesAccountStatus, type SesIdentityStatus } from "../ses/account-checks.ts";
import { sesSmtpEndpointRegion } from "../ses/regions.ts";
import type { LoadSettingsOptions } from "../settings/load.ts";
import type { HeraldSettings } from "../settings/model.ts";
import type { Problem } from "../settings/problems.ts";
import { validateLoadedSettings, type ValidationResult } from "../settings/validate.ts";
import type { SmtpReport, SmtpStage } from "../smtp/report.ts";
import { runSmtpSession } from "../smtp/session.ts";
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
  /** @default a client for the endpoint's region or AWS_REGION */
  sesClient?: (region: string) => SESv2Client;
  deadline?: number;
}

export interface ValidateSettingsResult extends ValidationResult {
  account?: SesAccountStatus;
  identity?: SesIdentityStatus;
  probe?: SmtpReport;
}

/** The SES region to check, when the transport is SES (API, or an SES SMTP endpoint). */
export function sesRegionFor(settings: HeraldSettings, env: NodeJS.ProcessEnv): string | undefined {
  const endpointRegion = sesSmtpEndpointRegion(settings.EmailSettings.SMTPServer);
  if (endpointRegion) return endpointRegion;
  if (env[TRANSPORT_ENV] === "ses-api") return env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  return undefined;
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
  const env = options.sources.env ?? process.env;
  const {
    saved,
    effective: loaded,
    passwordRefusal,
  } = await loadWithOverrides(options.sources, request.settings);
  const validation = validateLoadedSettings(loaded);
  const result: ValidateSettingsResult = { ...validation, problems: [...validation.problems] };

  const region = sesRegionFor(loaded.settings, env);
  if (region) {
    const client = options.sesClient?.(region) ?? new SESv2Client({ region });
    const senderDomain = emailDomain(loaded.settings.EmailSettings.FeedbackEmail);
    const ses = await checkSesAccount(client, region, senderDomain);
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
  result.valid = !result.problems.some((p) => p.severity === "error");
  // Nothing puts a password here on purpose; a server's or a value's echo is masked.
  return redactSecrets(result, [
    saved.settings.EmailSettings.SMTPPassword,
    loaded.settings.EmailSettings.SMTPPassword,
  ]);
}

function probeProblem(probe: SmtpReport): Problem {
  return {
    setting: PROBE_SETTING[probe.stage] ?? "EmailSettings.SMTPServer",
    severity: "error",
    message: `the connection test failed at ${probe.stage}: ${probe.error?.message ?? "unknown error"}`,
    fix: probe.hint ?? "see the probe report",
  };
}
