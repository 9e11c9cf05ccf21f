// Validate the saved settings (optionally with unsaved ones over them), check the SES
// account when the transport is SES, and optionally probe the server.
// Console test event: { "connect": true }.
import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { Context } from "aws-lambda";
import { createLogger, deadlineFrom, lambdaSettingsSources } from "../src/lambda/runtime.ts";
import { describeEventIssues, eventObject, validateSettingsEventSchema } from "../src/lambda/events.ts";
import { validateSettings, type ValidateSettingsResult } from "../src/operations/validate-settings.ts";
import { defaultSettings } from "../src/settings/load.ts";

const logger = createLogger("herald-validate-settings");

export async function validateSettingsHandler(
  event: unknown,
  context?: Context,
): Promise<ValidateSettingsResult> {
  const parsed = validateSettingsEventSchema.safeParse(eventObject(event));
  const result: ValidateSettingsResult = parsed.success
    ? await validateSettings(parsed.data, {
        sources: lambdaSettingsSources(),
        deadline: deadlineFrom(context),
      })
    : {
        valid: false,
        problems: [
          {
            setting: "event",
            severity: "error",
            message: `invalid event: ${describeEventIssues(parsed.error)}`,
            fix: 'invoke with {}, { "connect": true } or { "settings": { "EmailSettings": { ... } } }',
          },
        ],
        settings: defaultSettings(),
      };
  logger.info(result.valid ? "settings valid" : "settings invalid", {
    event: result.valid ? "validate-settings.valid" : "validate-settings.invalid",
    valid: result.valid,
    errors: result.problems.filter((p) => p.severity === "error").map((p) => p.setting),
    warnings: result.problems.filter((p) => p.severity === "warning").map((p) => p.setting),
    sandbox: result.account?.sandbox,
    probe: result.probe
      ? { ok: result.probe.ok, stage: result.probe.stage, code: result.probe.error?.code }
      : undefined,
  });
  return result;
}

// logEvent: false whatever POWERTOOLS_LOGGER_LOG_EVENT says: the event may hold the password.
export const handler = middy(validateSettingsHandler).use(injectLambdaContext(logger, { logEvent: false }));
