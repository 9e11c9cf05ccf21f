// The deployed export: middy + runtime + the operation, with IAM and SSM mocked.
import { CreateAccessKeyCommand, IAMClient } from "@aws-sdk/client-iam";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import type { Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, describe, expect, it, vi } from "vitest";
import { captureStdout } from "../helpers/capture-stdout.ts";

const SECRET = "dhSgJJyAs+2z19oLOVkwBrE6GkdNQD5fL5Dou5Tb";
const PASSWORD = "BK0hyoUp3vjB+NdwhSiUpkA9oA84fNaqhEKrXZ5PkcX2";

const iamMock = mockClient(IAMClient);
const ssmMock = mockClient(SSMClient);
afterAll(() => {
  iamMock.restore();
  ssmMock.restore();
});

const context = {
  functionName: "smtp-credentials",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:eu-central-1:123456789012:function:smtp-credentials",
  memoryLimitInMB: "256",
  awsRequestId: "a-1",
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

describe("lambdas/smtp-credentials handler", () => {
  it("creates the credentials and logs neither the event nor a secret, even when asked to log events", async () => {
    vi.stubEnv("POWERTOOLS_LOGGER_LOG_EVENT", "true");
    vi.resetModules();
    const { handler } = await import("../../lambdas/smtp-credentials.ts");
    iamMock.on(CreateAccessKeyCommand).resolves({
      AccessKey: {
        UserName: "herald-smtp",
        AccessKeyId: "AKIAIOSFODNN7EXAMPLE",
        SecretAccessKey: SECRET,
        Status: "Active",
      },
    });
    ssmMock.on(PutParameterCommand).resolves({ Version: 1 });
    const event = {
      RequestType: "Create" as const,
      ServiceToken: "arn:aws:lambda:eu-central-1:123456789012:function:provider",
      ResponseURL: "https://example.invalid/",
      StackId: "arn:aws:cloudformation:eu-central-1:123456789012:stack/Herald/x",
      RequestId: "r-1",
      LogicalResourceId: "Credentials",
      ResourceType: "Custom::HeraldSmtpCredentials",
      ResourceProperties: {
        ServiceToken: "arn:aws:lambda:eu-central-1:123456789012:function:provider",
        UserName: "herald-smtp",
        ParameterPrefix: "/herald",
        KmsKeyId: "alias/herald",
        Region: "eu-central-1",
        Serial: "1",
      },
    };
    const { result, output } = await captureStdout(() => handler(event, context));
    expect(result.PhysicalResourceId).toBe("AKIAIOSFODNN7EXAMPLE");
    const password = ssmMock
      .commandCalls(PutParameterCommand)
      .find((call) => call.args[0].input.Type === "SecureString");
    expect(password!.args[0].input.Value).toBe(PASSWORD);
    expect(output).toContain('"function_request_id":"a-1"');
    expect(output).not.toContain("ResponseURL");
    expect(JSON.stringify(result) + output).not.toContain(SECRET);
    expect(JSON.stringify(result) + output).not.toContain(PASSWORD);
    vi.unstubAllEnvs();
  });
});
