import { describeEventIssues, eventObject, testSendEventSchema } from "../lambda/events.ts";
import { composeTestEmail } from "../mail/test-email.ts";
import type { MailTransport, SendOutcome } from "../mail/transport.ts";
import type { HeraldSettings } from "../settings/model.ts";
import { hasLineBreak, isValidEmailAddress } from "../net/hosts.ts";
import type { LoadedSettings, LoadSettingsOptions } from "../settings/load.ts";
import { DEFAULT_TRANSPORT, type Transport } from "../constants.ts";
import type { Problem } from "../settings/problems.ts";
import { blockingErrors } from "../transport-needs.ts";
import { validateLoadedSettings } from "../settings/validate.ts";
import { configReport } from "../smtp/config-report.ts";
import { BadRequestError, type PasswordRequiredError, SettingsRefusedError } from "../smtp/errors.ts";
import { redactSecrets } from "../smtp/redact.ts";
import type { SmtpReport } from "../smtp/report.ts";
import { runSmtpSession } from "../smtp/session-on-demand.ts";
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
  /**
   * Send through this transport instead of an SMTP session: the SES v2 API when
   * HERALD_TRANSPORT is `ses-api`, where no SMTP settings exist to test.
   * @default a diagnostic SMTP session with the settings
   */
  apiTransport?: (settings: HeraldSettings) => MailTransport;
  /**
   * HERALD_TRANSPORT: which settings rules apply (with `ses-api`, no SMTP setting blocks the test).
   * @default "ses-smtp"
   */
  transport?: Transport;
}

/** The SMTP report, plus what was wrong with the request's settings but did not stop it. */
export interface TestSendReport extends SmtpReport {
  /** e.g. a key in `settings` that is not a setting (a typo): it was ignored */
  warnings?: Problem[];
}

/** Why `to` cannot be a recipient, or undefined when it can. */
export function recipientProblem(to: string): string | undefined {
  if (to.trim() === "") return "no address was given";
  if (hasLineBreak(to) || !isValidEmailAddress(to.trim())) {
    return `${JSON.stringify(to.slice(0, 100))} is not an email address`;
  }
  return undefined;
}

/**
 * Mattermost's "Test Connection": send `[SiteName] Testing Email Settings` with the saved
 * settings, or with unsaved ones over them. Settings that decide where the password goes
 * (server, port, username, security, certificate checks) need the password re-entered when
 * changed, so the saved password never goes to a server it was not saved for.
 * Always resolves to a report; SMTP failures are results, not exceptions.
 */
export async function testSend(request: TestSendRequest, options: TestSendOptions): Promise<TestSendReport> {
  const { saved, effective, passwordRefusal } = await loadWithOverrides(
    options.sources,
    request.settings,
    options.saved,
  );
  const secrets = [saved.settings.EmailSettings.SMTPPassword, effective.settings.EmailSettings.SMTPPassword];
  const warnings = effective.problems.filter((p) => p.severity === "warning" && p.source === "override");
  const report = await send(request, options, effective, passwordRefusal);
  return redactSecrets(warnings.length > 0 ? { ...report, warnings } : report, secrets);
}

async function send(
  request: TestSendRequest,
  options: TestSendOptions,
  effective: LoadedSettings,
  passwordRefusal: PasswordRequiredError | undefined,
): Promise<SmtpReport> {
  const errors = blockingErrors(
    validateLoadedSettings(effective).problems,
    options.transport ?? DEFAULT_TRANSPORT,
  );
  const refusal = passwordRefusal ?? (errors.length > 0 ? new SettingsRefusedError(errors) : undefined);
  if (refusal) return configReport(refusal);

  const to = (request.to ?? effective.settings.EmailSettings.FeedbackEmail).trim();
  const problem = recipientProblem(to);
  if (problem) {
    return configReport(
      new BadRequestError(
        "ERECIPIENT",
        `"to": ${problem}`,
        'Pass a plain address, e.g. { "to": "you@example.com" }.',
      ),
    );
  }
  const message = await composeTestEmail(effective.settings, to);
  if (options.apiTransport) {
    const transport = options.apiTransport(effective.settings);
    return reportFromOutcome(await transport.send(message, { deadline: options.deadline }));
  }
  return runSmtpSession({ settings: effective.settings, message, deadline: options.deadline });
}

/** A send through the transport port, in the report's shape. */
function reportFromOutcome(outcome: SendOutcome): SmtpReport {
  if (outcome.ok) return { ok: true, stage: "done", messageId: outcome.messageId };
  return {
    ok: false,
    stage: outcome.stage ?? "data",
    ...(outcome.error ? { error: outcome.error } : {}),
    ...(outcome.hint ? { hint: outcome.hint } : {}),
  };
}

/** The test-send Lambda's work: the event (`{ "to": ..., "settings": ... }`) checked, then sent. */
export async function testSendEvent(event: unknown, options: TestSendOptions): Promise<TestSendReport> {
  const parsed = testSendEventSchema.safeParse(eventObject(event));
  if (parsed.success) return testSend(parsed.data, options);
  return configReport(
    new BadRequestError(
      "EEVENT",
      `invalid event: ${describeEventIssues(parsed.error)}`,
      'Invoke with { "to": "you@example.com" } and optionally "settings" in config.json shape.',
    ),
  );
}

/** The one log line of a test send: the outcome and setting names, never values. */
export function testSendLogFields(report: TestSendReport): Record<string, unknown> {
  return {
    event: report.ok ? "test-send.sent" : "test-send.failed",
    ok: report.ok,
    stage: report.stage,
    code: report.error?.code,
    responseCode: report.error?.responseCode,
    retryable: report.error?.retryable,
    hint: report.hint,
    messageId: report.messageId,
    timings: report.timings,
    warnings: report.warnings?.map((warning) => warning.setting),
  };
}
