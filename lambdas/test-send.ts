// Test Connection: send `[SiteName] Testing Email Settings` with the saved settings.
// Console test event: { "to": "you@example.com" }. Returns the SMTP report, never throws.
import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { Context } from "aws-lambda";
import { createLogger, deadlineFrom, lambdaSettingsSources } from "../src/lambda/runtime.ts";
import { describeEventIssues, eventObject, testSendEventSchema } from "../src/lambda/events.ts";
import { testSend, type TestSendReport } from "../src/operations/test-send.ts";

const logger = createLogger("herald-test-send");

export async function testSendHandler(event: unknown, context?: Context): Promise<TestSendReport> {
  const parsed = testSendEventSchema.safeParse(eventObject(event));
  const report: TestSendReport = parsed.success
    ? await testSend(parsed.data, { sources: lambdaSettingsSources(), deadline: deadlineFrom(context) })
    : {
        ok: false,
        stage: "config",
        error: {
          code: "EEVENT",
          retryable: false,
          message: `invalid event: ${describeEventIssues(parsed.error)}`,
        },
        hint: 'Invoke with { "to": "you@example.com" } and optionally "settings" in config.json shape.',
      };
  logger.info(report.ok ? "test email sent" : "test email failed", {
    event: report.ok ? "test-send.sent" : "test-send.failed",
    ok: report.ok,
    stage: report.stage,
    code: report.error?.code,
    responseCode: report.error?.responseCode,
    retryable: report.error?.retryable,
    hint: report.hint,
    messageId: report.messageId,
    timings: report.timings,
    // Setting names only, as validate-settings logs them; never values.
    warnings: report.warnings?.map((warning) => warning.setting),
  });
  return report;
}

// logEvent: false whatever POWERTOOLS_LOGGER_LOG_EVENT says: the event may hold the password.
export const handler = middy(testSendHandler).use(injectLambdaContext(logger, { logEvent: false }));
