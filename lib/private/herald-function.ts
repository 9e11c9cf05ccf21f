// One Herald handler as a Lambda: bundled by the local esbuild with chunks (handler-code.ts), Node 24
// on arm64, its own log group with retention, its own role (no AWS managed policy: it may write
// only to its log group), Powertools service name, log level and metrics namespace.
import { Duration } from "aws-cdk-lib";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, Function as LambdaFunction, Runtime } from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { METRICS_NAMESPACE } from "../../src/constants.ts";
import { HANDLER, handlerCode } from "./handler-code.ts";

/** Powertools log levels. */
export const LOG_LEVELS = ["DEBUG", "INFO", "WARN", "ERROR", "CRITICAL", "SILENT"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What every Herald function shares; constructs pass it through from their props. */
export interface HeraldFunctionOptions {
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Powertools log level (POWERTOOLS_LOG_LEVEL).
   * @default "INFO"
   */
  readonly logLevel?: LogLevel;
}

export interface HeraldFunctionProps extends HeraldFunctionOptions {
  /** The handler file, relative to the project root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  /** POWERTOOLS_SERVICE_NAME, e.g. `herald-test-send` (also the `service` metric dimension). */
  readonly serviceName: string;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** Variables beyond the Powertools ones. @default none */
  readonly environment?: Record<string, string>;
  /** Where failed asynchronous invocations go. @default none */
  readonly deadLetterQueue?: IQueue;
  /** Retries of a failed asynchronous invocation. @default 2 (Lambda's default) */
  readonly retryAttempts?: number;
}

export class HeraldFunction extends Construct {
  /** The handler file, relative to the project root. */
  readonly entry: string;
  readonly function: LambdaFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: HeraldFunctionProps) {
    super(scope, id);
    this.entry = props.entry;
    this.logGroup = new LogGroup(this, "Logs", {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });
    this.role = new Role(this, "Role", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: `${props.serviceName}: ${props.description}`.slice(0, 1000),
    });
    // Instead of AWSLambdaBasicExecutionRole: streams in this log group only.
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: "WriteLogs",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = new LambdaFunction(this, "Function", {
      code: handlerCode(props.entry),
      handler: HANDLER,
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: props.retryAttempts,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? "INFO",
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
    });
  }
}
