// CloudFormation custom resource (Provider framework onEvent): the SES SMTP credentials.
// Create / Update / Delete an IAM access key and its SMTPUsername / SMTPPassword parameters.
// The event is never logged; nothing returned holds a secret.
import { IAMClient } from "@aws-sdk/client-iam";
import { SSMClient } from "@aws-sdk/client-ssm";
import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { CloudFormationCustomResourceEvent } from "aws-lambda";
import { handleSmtpCredentials } from "../src/operations/smtp-credentials.ts";
import { createRuntime } from "../src/runtime.ts";

const runtime = createRuntime({
  serviceName: "herald-smtp-credentials",
  clients: { IAM: IAMClient, SSM: SSMClient },
});

export const handler = middy((event: CloudFormationCustomResourceEvent) =>
  handleSmtpCredentials(event, { iam: runtime.iam(), ssm: runtime.ssm(), logger: runtime.logger }),
).use(injectLambdaContext(runtime.logger, { logEvent: false }));
