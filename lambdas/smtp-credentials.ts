// The SES SMTP credentials: the CloudFormation custom resource (Provider framework onEvent:
// Create / Update / Delete the IAM access key and its SMTPUsername / SMTPPassword parameters)
// and the scheduled tasks (rotation, grace-period cleanup) that run the same steps outside
// deployments. The event is never logged; nothing returned holds a secret.
import { ECSClient } from "@aws-sdk/client-ecs";
import { IAMClient } from "@aws-sdk/client-iam";
import { SSMClient } from "@aws-sdk/client-ssm";
import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { CloudFormationCustomResourceEvent, Context } from "aws-lambda";
import {
  handleSmtpCredentials,
  handleSmtpCredentialsTask,
  isSmtpCredentialsTask,
  restartEcsService,
  type SmtpCredentialsDeps,
  type SmtpCredentialsResponse,
  type SmtpCredentialsTaskResult,
} from "../src/operations/smtp-credentials.ts";
import { SERVICE_NAMES } from "../src/constants.ts";
import { createRuntime, type Runtime } from "../src/runtime.ts";

/** Time kept back from the invocation's for the reply to CloudFormation. */
const REPLY_MARGIN_MS = 5_000;

/** What tests replace: where the login proof goes, and its pause between attempts. */
export type HandlerOverrides = Pick<SmtpCredentialsDeps, "smtpEndpoint" | "proofRetryDelayMs">;

/** The handler for a runtime (tests build one from their own environment, and aim the proof). */
export function createSmtpCredentialsHandler(runtime: Runtime, overrides: HandlerOverrides = {}) {
  return middy(
    async (
      event: CloudFormationCustomResourceEvent | Record<string, unknown>,
      context: Context,
    ): Promise<SmtpCredentialsResponse | SmtpCredentialsTaskResult> => {
      const deps: SmtpCredentialsDeps = {
        iam: runtime.iam(),
        ssm: runtime.ssm(),
        logger: runtime.logger,
        deadline: Date.now() + context.getRemainingTimeInMillis() - REPLY_MARGIN_MS,
        restartService: (service) => restartEcsService(runtime.ecs())(service),
        ...overrides,
      };
      return isSmtpCredentialsTask(event)
        ? handleSmtpCredentialsTask(event, deps)
        : handleSmtpCredentials(event as CloudFormationCustomResourceEvent, deps);
    },
  ).use(injectLambdaContext(runtime.logger, { logEvent: false }));
}

export const handler = createSmtpCredentialsHandler(
  createRuntime({
    serviceName: SERVICE_NAMES.smtpCredentials,
    clients: { IAM: IAMClient, SSM: SSMClient, ECS: ECSClient },
  }),
);
