// A Herald handler deployed as a Lambda that reads the settings from SSM: bundled with the local
// esbuild (no Docker), its own log group and a role that can read only the settings under the prefix.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ArnFormat, Aws, Duration, Stack } from "aws-cdk-lib";
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, Runtime } from "aws-cdk-lib/aws-lambda";
import { LogLevel, NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { PARAMETER_PREFIX_ENV, TRANSPORT_ENV } from "../src/constants.ts";
import type { Transport } from "./herald-config.ts";

/** The repository root: handlers, package-lock.json and tsconfig.json live here. */
export const PROJECT_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** ESM bundles have no `require`; some CommonJS dependencies call it for Node built-ins. */
const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

export interface SettingsFunctionProps {
  /** The handler file, relative to the project root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  /** POWERTOOLS_SERVICE_NAME, e.g. `herald-test-send`. */
  readonly serviceName: string;
  /** The SSM path of the settings, normalized (`/herald`). */
  readonly parameterPrefix: string;
  readonly transport: Transport;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Permissions beyond reading the settings and writing logs. @default none */
  readonly extraStatements?: PolicyStatement[];
}

export class SettingsFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: SettingsFunctionProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.logGroup = new LogGroup(this, "Logs", {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });

    const prefixArn = stack.formatArn({
      service: "ssm",
      resource: "parameter",
      resourceName: props.parameterPrefix.slice(1),
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const statements = [
      // Written here rather than with AWSLambdaBasicExecutionRole: streams in this log group only.
      new PolicyStatement({
        sid: "WriteLogs",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [this.logGroup.logGroupArn],
      }),
      // One recursive GetParametersByPath; IAM checks the path itself, `/*` covers what is below.
      new PolicyStatement({
        sid: "ReadSettings",
        actions: ["ssm:GetParametersByPath"],
        resources: [prefixArn, `${prefixArn}/*`],
      }),
      // SecureString values (SMTPPassword) under the AWS-managed key aws/ssm, whose id is not
      // known at synthesis: any key in the account, but only through SSM and only for parameters
      // under the prefix (SSM passes the parameter ARN as encryption context).
      new PolicyStatement({
        sid: "DecryptSecureSettings",
        actions: ["kms:Decrypt"],
        resources: [stack.formatArn({ service: "kms", resource: "key", resourceName: "*" })],
        conditions: {
          StringEquals: { "kms:ViaService": `ssm.${Aws.REGION}.amazonaws.com` },
          StringLike: { "kms:EncryptionContext:PARAMETER_ARN": `${prefixArn}/*` },
        },
      }),
      ...(props.extraStatements ?? []),
    ];

    this.role = new Role(this, "Role", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: `${props.serviceName}: reads Herald settings under ${props.parameterPrefix}`,
      inlinePolicies: { Herald: new PolicyDocument({ statements }) },
    });

    this.function = new NodejsFunction(this, "Function", {
      entry: join(PROJECT_ROOT, props.entry),
      handler: "handler",
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, "package-lock.json"),
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        [PARAMETER_PREFIX_ENV]: props.parameterPrefix,
        [TRANSPORT_ENV]: props.transport,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        NODE_OPTIONS: "--enable-source-maps",
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: "node24",
        mainFields: ["module", "main"],
        banner: ESM_REQUIRE_BANNER,
        sourceMap: true,
        sourcesContent: false,
        minify: true,
        logLevel: LogLevel.WARNING,
      },
    });
  }
}
