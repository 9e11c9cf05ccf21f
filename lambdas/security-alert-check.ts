// Scheduled security-alert check (Mattermost's security update check): reads the bulletin
// feed and emails each bulletin for this product version to every administrator, once.
// Returns the summary { checked, applicable, sent, skipped, errors }; never throws.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SSMClient } from "@aws-sdk/client-ssm";
import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import type { Context } from "aws-lambda";
import { SERVICE_NAMES } from "../src/constants.ts";
import { deadlineFrom } from "../src/lambda/context.ts";
import { runSecurityCheck, type SecurityCheckSummary } from "../src/operations/security-check.ts";
import { createRuntime, type Runtime } from "../src/runtime.ts";
import { parseSecurityCheckConfig } from "../src/security/config.ts";
import { securityCheckMetrics } from "../src/security/metrics.ts";
import { openStateStore } from "../src/security/open-store.ts";

/** The handler for a runtime (tests build one from their own environment). */
export function createSecurityAlertCheckHandler(runtime: Runtime) {
  const check = async (_event: unknown, context?: Context): Promise<SecurityCheckSummary> => {
    const summary = await runSecurityCheck({
      loaded: await runtime.loadSettings(),
      config: parseSecurityCheckConfig(runtime.env),
      openStore: (location) => openStateStore(location, runtime.dynamodb),
      openTransport: (settings) => runtime.transport(settings),
      transport: runtime.config.transport,
      logger: runtime.logger,
      deadline: deadlineFrom(context),
    });
    for (const { name, value } of securityCheckMetrics(summary)) {
      runtime.metrics.addMetric(name, MetricUnit.Count, value);
    }
    return summary;
  };
  return middy(check)
    .use(injectLambdaContext(runtime.logger, { logEvent: false }))
    .use(logMetrics(runtime.metrics));
}

export const handler = createSecurityAlertCheckHandler(
  createRuntime({
    serviceName: SERVICE_NAMES.securityAlertCheck,
    // the ses-api transport loads its SES client on first send
    clients: { SSM: SSMClient, DYNAMODB: DynamoDBClient },
  }),
);
