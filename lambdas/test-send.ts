// Test Connection: send `[SiteName] Testing Email Settings` with the saved settings.
// Console test event: { "to": "you@example.com" }. Returns the SMTP report, never throws.
import { SSMClient } from "@aws-sdk/client-ssm";
import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { Context } from "aws-lambda";
import { SERVICE_NAMES } from "../src/constants.ts";
import { deadlineFrom } from "../src/lambda/context.ts";
import { testSendEvent, testSendLogFields, type TestSendReport } from "../src/operations/test-send.ts";
import { createRuntime, type Runtime } from "../src/runtime.ts";

/** The handler for a runtime (tests build one from their own environment). */
export function createTestSendHandler(runtime: Runtime) {
  const testSend = async (event: unknown, context: Context): Promise<TestSendReport> => {
    const report = await testSendEvent(event, {
      sources: runtime.settingsSources,
      deadline: deadlineFrom(context),
      // With the SES API there are no SMTP settings to test: the test email goes the same way.
      transport: runtime.config.transport,
      ...(runtime.config.transport === "ses-api" ? { apiTransport: runtime.transport } : {}),
    });
    runtime.logger.info(report.ok ? "test email sent" : "test email failed", testSendLogFields(report));
    return report;
  };
  // logEvent: false whatever POWERTOOLS_LOGGER_LOG_EVENT says: the event may hold the password.
  return middy(testSend).use(injectLambdaContext(runtime.logger, { logEvent: false }));
}

export const handler = createTestSendHandler(
  createRuntime({
    serviceName: SERVICE_NAMES.testSend,
    // the ses-api transport loads its SES client on first send
    clients: { SSM: SSMClient },
  }),
);
