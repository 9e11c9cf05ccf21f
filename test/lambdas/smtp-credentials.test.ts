// The deployed export: middy + runtime + the operation, with stateful IAM and SSM fakes, the
// ECS client mocked, and a loopback SMTP server standing in for SES's SMTP endpoint.
import { ECSClient, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { IAMClient } from "@aws-sdk/client-iam";
import { SSMClient } from "@aws-sdk/client-ssm";
import type { Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { SERVICE_NAMES } from "../../src/constants.ts";
import { createRuntime } from "../../src/runtime.ts";
import { sesSmtpPassword } from "../../src/ses/smtp-password.ts";
import { captureStdout } from "../helpers/capture-stdout.ts";
import { FakeIam, FakeSsm } from "../helpers/iam-ssm-fakes.ts";
import { startSmtpServer, type TestSmtpServer } from "../helpers/smtp-servers.ts";

const iam = new FakeIam(Date.now);
iam.addUser("herald-smtp");
const ssm = new FakeSsm();
const mocks = [iam.install(), ssm.install()];
const ecsMock = mockClient(ECSClient);
let server: TestSmtpServer;
beforeAll(async () => {
  server = await startSmtpServer({
    secure: true,
    authorize: (username, password) => iam.accepts("herald-smtp", username, password, "eu-central-1"),
  });
});
afterAll(async () => {
  mocks.forEach((mock) => mock.restore());
  ecsMock.restore();
  await server.close();
});

const context = {
  functionName: "smtp-credentials",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:eu-central-1:123456789012:function:smtp-credentials",
  memoryLimitInMB: "256",
  awsRequestId: "a-1",
  getRemainingTimeInMillis: () => 300_000,
} as unknown as Context;

const properties = {
  ServiceToken: "arn:aws:lambda:eu-central-1:123456789012:function:provider",
  UserName: "herald-smtp",
  ParameterPrefix: "/herald",
  KmsKeyId: "alias/herald",
  Region: "eu-central-1",
  Serial: "1",
  GracePeriodSeconds: "0",
  RestartServices: [
    "arn:aws:ecs:eu-central-1:123456789012:cluster/c|arn:aws:ecs:eu-central-1:123456789012:service/c/mm",
  ],
};

describe("lambdas/smtp-credentials handler", () => {
  it("creates, rotates on schedule (restarting the service) and logs neither the event nor a secret, even when asked to log events", async () => {
    vi.stubEnv("POWERTOOLS_LOGGER_LOG_EVENT", "true");
    vi.resetModules();
    const { createSmtpCredentialsHandler } = await import("../../lambdas/smtp-credentials.ts");
    // built after the stub, as the deployed function builds its runtime from its environment
    const runtime = createRuntime({
      serviceName: SERVICE_NAMES.smtpCredentials,
      clients: { IAM: IAMClient, SSM: SSMClient, ECS: ECSClient },
    });
    const handler = createSmtpCredentialsHandler(runtime, {
      smtpEndpoint: () => ({
        host: server.host,
        port: server.port,
        security: "TLS",
        skipCertificateVerification: true,
      }),
    });
    ecsMock.on(UpdateServiceCommand).resolves({});
    const event = {
      RequestType: "Create" as const,
      ServiceToken: properties.ServiceToken,
      ResponseURL: "https://example.invalid/",
      StackId: "arn:aws:cloudformation:eu-central-1:123456789012:stack/Herald/x",
      RequestId: "r-1",
      LogicalResourceId: "Credentials",
      ResourceType: "Custom::HeraldSmtpCredentials",
      ResourceProperties: properties,
    };
    const created = await captureStdout(() => handler(event, context));
    const key = ssm.value("/herald/EmailSettings/SMTPUsername")!;
    expect(created.result).toMatchObject({ PhysicalResourceId: "herald-smtp", Data: { AccessKeyId: key } });
    expect(created.output).toContain('"function_request_id":"a-1"');
    expect(created.output).not.toContain("ResponseURL");

    const rotated = await captureStdout(() =>
      handler({ heraldSmtpCredentialsTask: "rotate", properties }, context),
    );
    const newKey = ssm.value("/herald/EmailSettings/SMTPUsername")!;
    expect(rotated.result).toEqual({ task: "rotate", accessKeyId: newKey });
    expect(iam.keys("herald-smtp")).toEqual([newKey]);
    expect(ecsMock.commandCalls(UpdateServiceCommand).map((call) => call.args[0].input)).toEqual([
      {
        cluster: "arn:aws:ecs:eu-central-1:123456789012:cluster/c",
        service: "arn:aws:ecs:eu-central-1:123456789012:service/c/mm",
        forceNewDeployment: true,
      },
    ]);

    const visible = JSON.stringify([created.result, rotated.result]) + created.output + rotated.output;
    expect(iam.created).toHaveLength(2);
    for (const { secretAccessKey } of iam.created) {
      expect(visible).not.toContain(secretAccessKey);
      expect(visible).not.toContain(sesSmtpPassword(secretAccessKey, "eu-central-1"));
    }
    vi.unstubAllEnvs();
  });
});
