// Validate the saved settings (optionally with unsaved ones over them), check the SES
// account when the transport is SES, and optionally probe the server.
// Console test event: { "connect": true }.
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { SSMClient } from "@aws-sdk/client-ssm";
import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { Context } from "aws-lambda";
import { SERVICE_NAMES } from "../src/constants.ts";
import { deadlineFrom } from "../src/lambda/context.ts";
import {
  validateSettingsEvent,
  validationLogFields,
  type ValidateSettingsResult,
} from "../src/operations/validate-settings.ts";
import { createRuntime, type Runtime } from "../src/runtime.ts";
import { deploymentFactsFrom } from "../src/settings/deployment.ts";

/** The handler for a runtime (tests build one from their own environment). */
export function createValidateSettingsHandler(runtime: Runtime) {
  const validate = async (event: unknown, context: Context): Promise<ValidateSettingsResult> => {
    const result = await validateSettingsEvent(event, {
      sources: runtime.settingsSources,
      transport: runtime.config.transport,
      region: runtime.region,
      sesClient: runtime.ses,
      deadline: deadlineFrom(context),
      deployment: deploymentFactsFrom(runtime.env),
    });
    runtime.logger.info(result.valid ? "settings valid" : "settings invalid", validationLogFields(result));
    return result;
  };
  // logEvent: false whatever POWERTOOLS_LOGGER_LOG_EVENT says: the event may hold the password.
  return middy(validate).use(injectLambdaContext(runtime.logger, { logEvent: false }));
}

export const handler = createValidateSettingsHandler(
  createRuntime({
    serviceName: SERVICE_NAMES.validateSettings,
    clients: { SSM: SSMClient, SESV2: SESv2Client },
  }),
);
