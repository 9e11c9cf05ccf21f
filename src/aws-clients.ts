// Every SDK client class the runtime can construct, for the runtimes that may need any of
// them (the CLI, the sandbox, tests). A Lambda passes only its own: importing this module
// bundles all of them.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ECSClient } from "@aws-sdk/client-ecs";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { IAMClient } from "@aws-sdk/client-iam";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SSMClient } from "@aws-sdk/client-ssm";
import type { AwsClientClasses } from "./runtime.ts";

export const ALL_AWS_CLIENTS: AwsClientClasses = {
  SSM: SSMClient,
  SESV2: SESv2Client,
  DYNAMODB: DynamoDBClient,
  SQS: SQSClient,
  EVENTBRIDGE: EventBridgeClient,
  IAM: IAMClient,
  ECS: ECSClient,
};
