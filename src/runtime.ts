/**
 * The composition root: the one module that reads the environment and constructs AWS
 * clients. A Lambda builds one Runtime per container (module scope), the CLI and the sandbox
 * one per run; operations receive what they need from it.
 */
import { createHash } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { IAMClient } from "@aws-sdk/client-iam";
import type { SESv2Client } from "@aws-sdk/client-sesv2";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import {
  CONFIG_FILE_ENV,
  CONFIGURATION_SET_ENV,
  DEAD_LETTER_QUEUE_URL_ENV,
  DEFAULT_MAX_SEND_RATE,
  DEFAULT_TRANSPORT,
  EVENT_BUS_NAME_ENV,
  MAX_SEND_RATE_ENV,
  METRICS_NAMESPACE,
  PARAMETER_PREFIX_ENV,
  SEND_RATE_LIMITS,
  TABLE_NAME_ENV,
  TRANSPORT_ENV,
  TRANSPORTS,
  UNKNOWN_OUTCOME_ENV,
  UNKNOWN_OUTCOME_POLICIES,
  type Transport,
  type UnknownOutcomePolicy,
} from "./constants.ts";
import { HeraldError } from "./errors.ts";
import type { ComposedMessage } from "./mail/message.ts";
import { SES_SEND_TIMEOUT_MS, type MailTransport, type SendOptions } from "./mail/transport.ts";
import { smtpSendBoundMs } from "./smtp/options.ts";
import type { LoadedSettings, LoadSettingsOptions } from "./settings/load.ts";
import type { HeraldSettings } from "./settings/model.ts";

/** The services the runtime makes clients for, as in the SDK's AWS_ENDPOINT_URL_<service>. */
const AWS_SERVICES = ["SSM", "SESV2", "DYNAMODB", "SQS", "EVENTBRIDGE", "IAM", "ECS"] as const;
type AwsService = (typeof AWS_SERVICES)[number];

/**
 * The SDK client classes a runtime may construct, by service. Only type imports here: a
 * handler passes the classes it uses, so its bundle holds those clients and no others
 * (`ALL_AWS_CLIENTS` in `./aws-clients.ts` has all of them, for the CLI, the sandbox and tests).
 */
export interface AwsClientClasses {
  SSM: typeof SSMClient;
  SESV2: typeof SESv2Client;
  DYNAMODB: typeof DynamoDBClient;
  SQS: typeof SQSClient;
  EVENTBRIDGE: typeof EventBridgeClient;
  IAM: typeof IAMClient;
  ECS: typeof ECSClient;
}

/** Every AWS call is bounded: no SDK default waits minutes on a silent endpoint. */
const AWS_CONNECT_TIMEOUT_MS = 3_000;
const AWS_REQUEST_TIMEOUT_MS = 10_000;

export interface RuntimeOptions {
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Powertools service name (logs and metrics). @default "herald" */
  serviceName?: string;
  /**
   * "lambda": JSON logs at POWERTOOLS_LOG_LEVEL (default INFO) and EMF metrics on stdout.
   * "cli": stdout belongs to the command's output, so logs are silent unless
   * POWERTOOLS_LOG_LEVEL asks for them, and metrics are not emitted.
   * @default "lambda"
   */
  mode?: "lambda" | "cli";
  /** A config.json to read settings from, over HERALD_CONFIG_FILE (the CLI's --config). */
  configFile?: string;
  /** SSM prefix over HERALD_PARAMETER_PREFIX (the CLI's --ssm-prefix). */
  parameterPrefix?: string;
  /**
   * The client classes this runtime may construct; asking for another fails, naming it. The
   * SES v2 client of the `ses-api` transport is loaded on first send when it is not given.
   * @default none
   */
  clients?: Partial<AwsClientClasses>;
}

/** The HERALD_* variables the send path needs, parsed once. */
export interface RuntimeConfig {
  transport: Transport;
  /** HERALD_TABLE_NAME: idempotency and sent-bulletin records; absent: in memory / --state. */
  tableName?: string;
  /** HERALD_DEAD_LETTER_QUEUE_URL: where permanent failures go; absent: counted only. */
  deadLetterQueueUrl?: string;
  /** HERALD_CONFIGURATION_SET: for SES sends (the API's parameter, or a header over SES SMTP). */
  configurationSet?: string;
  /** HERALD_MAX_SEND_RATE: emails per second per function instance. @default 14 */
  maxSendRate: number;
  /** HERALD_EVENT_BUS_NAME: where NotificationFeedback events go. */
  eventBusName?: string;
  /** HERALD_UNKNOWN_OUTCOME: a send that may or may not have arrived. @default "at-least-once" */
  unknownOutcome: UnknownOutcomePolicy;
}

export interface Runtime {
  /** The environment this runtime was built from (a copy: later changes are not seen). */
  readonly env: Readonly<NodeJS.ProcessEnv>;
  readonly config: RuntimeConfig;
  /** AWS_REGION (or AWS_DEFAULT_REGION) of this runtime's environment. */
  readonly region: string | undefined;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Where settings come from: config file, SSM (cached per container), MM_* variables. */
  readonly settingsSources: LoadSettingsOptions;
  /** The settings from every source, with optional unsaved ones over them. */
  loadSettings(overrides?: unknown): Promise<LoadedSettings>;
  /** SES v2 client for a region (default AWS_REGION; none at all is a RuntimeConfigError). */
  ses(region?: string): SESv2Client;
  dynamodb(): DynamoDBClient;
  sqs(): SQSClient;
  /**
   * The SQS client, its class imported on first use when this runtime was not given it: a
   * handler that sends to SQS only when a message fails for good starts without it.
   */
  loadSqs(): Promise<SQSClient>;
  eventBridge(): EventBridgeClient;
  iam(): IAMClient;
  ecs(): ECSClient;
  ssm(): SSMClient;
  /**
   * The mail transport for these settings, per HERALD_TRANSPORT: reused while the settings
   * stay the same (a warm container keeps its SMTP pool), replaced when they change.
   */
  transport(settings: HeraldSettings): MailTransport;
  /** Close pooled connections and destroy the clients: nothing outlives a CLI run. */
  close(): Promise<void>;
}

export class RuntimeConfigError extends HeraldError {
  override name = "RuntimeConfigError";
  readonly code = "ERUNTIMECONFIG";
  declare readonly hint: string;
  constructor(message: string, hint: string) {
    super(message, { hint });
  }
}

function noRegion(): never {
  throw new RuntimeConfigError(
    "no AWS region: AWS_REGION and AWS_DEFAULT_REGION are unset, and the SES v2 API is called in a region",
    "set AWS_REGION to the region of your SES identity, e.g. AWS_REGION=eu-west-1",
  );
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== "" ? value.trim() : undefined;
}

/** HERALD_TRANSPORT, validated: a typo must not silently send another way. */
export function transportFrom(env: Readonly<NodeJS.ProcessEnv>): Transport {
  const value = nonEmpty(env[TRANSPORT_ENV]) ?? DEFAULT_TRANSPORT;
  if ((TRANSPORTS as readonly string[]).includes(value)) return value as Transport;
  throw new RuntimeConfigError(
    `${TRANSPORT_ENV} is ${JSON.stringify(value)}, not one of ${TRANSPORTS.join(", ")}`,
    `set ${TRANSPORT_ENV} to ses-smtp or smtp (send over SMTP with the settings) or ses-api (SES v2 API)`,
  );
}

/**
 * The SDK's own endpoint variables, read from this runtime's environment. Checked here: the
 * SDK would only fail at the first call, and a send would count that as the message's fault.
 */
function endpointFor(env: Readonly<NodeJS.ProcessEnv>, service: AwsService): string | undefined {
  for (const name of [`AWS_ENDPOINT_URL_${service}`, "AWS_ENDPOINT_URL"]) {
    const value = nonEmpty(env[name]);
    if (value === undefined) continue;
    if (/^https?:\/\/[^/]/i.test(value) && URL.canParse(value)) return value;
    throw new RuntimeConfigError(
      `${name} is ${JSON.stringify(value)}, not an http(s) URL`,
      `set ${name} to the endpoint's URL, e.g. http://127.0.0.1:8000, or unset it`,
    );
  }
  return undefined;
}

const { min: MIN_SEND_RATE, max: MAX_SEND_RATE } = SEND_RATE_LIMITS;

function maxSendRateFrom(env: Readonly<NodeJS.ProcessEnv>): number {
  const raw = nonEmpty(env[MAX_SEND_RATE_ENV]);
  if (raw === undefined) return DEFAULT_MAX_SEND_RATE;
  const rate = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Number.NaN;
  if (rate >= MIN_SEND_RATE && rate <= MAX_SEND_RATE) return rate;
  throw new RuntimeConfigError(
    `${MAX_SEND_RATE_ENV} is ${JSON.stringify(raw)}, not a decimal number of emails per second from ${MIN_SEND_RATE} to ${MAX_SEND_RATE}`,
    `set ${MAX_SEND_RATE_ENV} to your SES sending rate, e.g. 14 (1 in the SES sandbox)`,
  );
}

function unknownOutcomeFrom(env: Readonly<NodeJS.ProcessEnv>): UnknownOutcomePolicy {
  const value = nonEmpty(env[UNKNOWN_OUTCOME_ENV]) ?? "at-least-once";
  if ((UNKNOWN_OUTCOME_POLICIES as readonly string[]).includes(value)) return value as UnknownOutcomePolicy;
  throw new RuntimeConfigError(
    `${UNKNOWN_OUTCOME_ENV} is ${JSON.stringify(value)}, not one of ${UNKNOWN_OUTCOME_POLICIES.join(", ")}`,
    `set ${UNKNOWN_OUTCOME_ENV} to at-least-once (send again: maybe twice) or at-most-once (never twice: maybe lost)`,
  );
}

/** The runtime's variables, validated: a typo fails at start, naming the variable. */
export function runtimeConfigFrom(env: Readonly<NodeJS.ProcessEnv>): RuntimeConfig {
  return {
    transport: transportFrom(env),
    maxSendRate: maxSendRateFrom(env),
    tableName: nonEmpty(env[TABLE_NAME_ENV]),
    deadLetterQueueUrl: nonEmpty(env[DEAD_LETTER_QUEUE_URL_ENV]),
    configurationSet: nonEmpty(env[CONFIGURATION_SET_ENV]),
    eventBusName: nonEmpty(env[EVENT_BUS_NAME_ENV]),
    unknownOutcome: unknownOutcomeFrom(env),
  };
}

export function createRuntime(options: RuntimeOptions = {}): Runtime {
  const env: Readonly<NodeJS.ProcessEnv> = Object.freeze({ ...(options.env ?? process.env) });
  const serviceName = options.serviceName ?? "herald";
  const mode = options.mode ?? "lambda";
  const config = runtimeConfigFrom(env);
  const region = nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  if (config.transport === "ses-api" && region === undefined) noRegion();

  const logger = new Logger({
    serviceName,
    logLevel: (nonEmpty(env.POWERTOOLS_LOG_LEVEL) ?? (mode === "cli" ? "SILENT" : "INFO")) as "INFO",
  });
  const metrics = new Metrics({
    namespace: nonEmpty(env.POWERTOOLS_METRICS_NAMESPACE) ?? METRICS_NAMESPACE,
    serviceName,
  });
  if (mode === "cli") metrics.setThrowOnEmptyMetrics(false);

  // The SDK's own chain reads process.env; a runtime built from another environment (a test,
  // the sandbox) must use that environment's keys. In Lambda both are the same variables.
  const accessKeyId = nonEmpty(env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
  const sessionToken = nonEmpty(env.AWS_SESSION_TOKEN);
  const credentials =
    accessKeyId && secretAccessKey
      ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } }
      : {};
  // Every client's endpoint is read now, so a bad one fails at start.
  const endpoints = new Map(AWS_SERVICES.map((service) => [service, endpointFor(env, service)]));
  const clientConfig = (service: AwsService, clientRegion = region) => ({
    ...(clientRegion ? { region: clientRegion } : {}),
    ...credentials,
    ...(endpoints.get(service) ? { endpoint: endpoints.get(service) } : {}),
    requestHandler: { connectionTimeout: AWS_CONNECT_TIMEOUT_MS, requestTimeout: AWS_REQUEST_TIMEOUT_MS },
  });
  // Clients are made on first use (a handler that never sends never makes SES; SSM is made at
  // start when the settings come from SSM) and kept for the container's life; close() destroys them.
  const classes: Partial<AwsClientClasses> = { ...options.clients };
  const clients = new Map<string, { destroy(): void }>();
  const client = <S extends AwsService>(
    service: S,
    key: string,
    make: (Client: AwsClientClasses[S]) => InstanceType<AwsClientClasses[S]>,
  ): InstanceType<AwsClientClasses[S]> => {
    let existing = clients.get(key) as InstanceType<AwsClientClasses[S]> | undefined;
    if (!existing) {
      const Client = classes[service];
      if (!Client) throw missingClient(service, serviceName);
      existing = make(Client as AwsClientClasses[S]);
      // Herald gives the SDK no logger, yet its logger middleware copies each request's input
      // and output through a sensitive-data filter to log them nowhere (measured: 3% of the
      // SES API path's CPU per message).
      (existing as { middlewareStack: { remove(name: string): boolean } }).middlewareStack.remove(
        "loggerMiddleware",
      );
      clients.set(key, existing);
    }
    return existing;
  };
  const ssm = () => client("SSM", "ssm", (SSM) => new SSM(clientConfig("SSM")));
  const sqs = () => client("SQS", "sqs", (SQS) => new SQS(clientConfig("SQS")));
  // No default region: an SES identity lives in one region, and another would fail to send.
  const ses = (clientRegion = region ?? noRegion()) =>
    client(
      "SESV2",
      `ses:${clientRegion}`,
      // One attempt: the SDK must not resend a SendEmail that SES may have stored (a 5xx or a
      // timeout after the request left); the pipeline's unknown-outcome policy decides.
      (SES) => new SES({ ...clientConfig("SESV2", clientRegion), maxAttempts: 1 }),
    );

  const prefix = nonEmpty(options.parameterPrefix) ?? nonEmpty(env[PARAMETER_PREFIX_ENV]);
  const configFile = nonEmpty(options.configFile) ?? nonEmpty(env[CONFIG_FILE_ENV]);
  const settingsSources: LoadSettingsOptions = {
    env: { ...env },
    ...(configFile ? { configFile } : {}),
    // A handler that reads no settings is not given the SSM client.
    ...(prefix && classes.SSM ? { ssm: { prefix, client: ssm() } } : {}),
  };

  let current: { key: string; transport: MailTransport } | undefined;
  // kept after the first import: a repeated import() goes through the module loader each time
  let settingsModule: Promise<typeof import("./settings/load.ts")> | undefined;

  return {
    env,
    config,
    region,
    logger,
    metrics,
    settingsSources,
    // Imported when first called: a handler that reads no settings never loads their sources.
    async loadSettings(overrides) {
      const { loadSettings } = await (settingsModule ??= import("./settings/load.ts"));
      return loadSettings(overrides === undefined ? settingsSources : { ...settingsSources, overrides });
    },
    ses,
    dynamodb: () => client("DYNAMODB", "dynamodb", (DynamoDB) => new DynamoDB(clientConfig("DYNAMODB"))),
    sqs,
    async loadSqs() {
      classes.SQS ??= (await import("@aws-sdk/client-sqs")).SQSClient;
      return sqs();
    },
    eventBridge: () =>
      client("EVENTBRIDGE", "eventbridge", (EventBridge) => new EventBridge(clientConfig("EVENTBRIDGE"))),
    iam: () => client("IAM", "iam", (IAM) => new IAM(clientConfig("IAM"))),
    ecs: () => client("ECS", "ecs", (ECS) => new ECS(clientConfig("ECS"))),
    ssm,
    transport(settings) {
      const key = settingsKey(config.transport, settings);
      if (current?.key === key) return current.transport;
      void current?.transport.close();
      // Each transport's code (nodemailer's pool, or the SES client) is loaded on first send:
      // a bundle split into chunks starts without the one this function does not use.
      const transport =
        config.transport === "ses-api"
          ? loadedOnFirstUse("ses-api", SES_SEND_TIMEOUT_MS, async () => {
              const [{ createSesTransport }, sdk] = await Promise.all([
                import("./mail/ses-transport.ts"),
                classes.SESV2 ? undefined : import("@aws-sdk/client-sesv2"),
              ]);
              classes.SESV2 ??= sdk?.SESv2Client;
              return createSesTransport({
                client: ses(),
                ...(config.configurationSet ? { configurationSetName: config.configurationSet } : {}),
                onSimpleRefused: (reason) =>
                  logger.warn("SES refused Simple content: sending Raw MIME from now on", {
                    event: "ses.simple-refused",
                    reason,
                  }),
              });
            })
          : loadedOnFirstUse("smtp", smtpSendBoundMs(settings), async () => {
              const { createSmtpTransport } = await import("./mail/smtp-transport.ts");
              return createSmtpTransport({
                settings,
                ...(config.transport === "ses-smtp"
                  ? { sesHeaders: { configurationSet: config.configurationSet } }
                  : {}),
              });
            });
      current = { key, transport };
      return transport;
    },
    async close() {
      await current?.transport.close();
      current = undefined;
      for (const made of clients.values()) made.destroy();
      clients.clear();
    },
  };
}

function missingClient(service: AwsService, serviceName: string): RuntimeConfigError {
  return new RuntimeConfigError(
    `${serviceName} was not built with the ${service} client`,
    `pass the SDK's client class in createRuntime({ clients: { ${service}: ... } }) where this runtime is made`,
  );
}

/** A transport whose module is imported on its first send (once; close() before that is free). */
function loadedOnFirstUse(
  kind: MailTransport["kind"],
  sendBoundMs: number,
  load: () => Promise<MailTransport>,
): MailTransport {
  let loading: Promise<MailTransport> | undefined;
  return {
    kind,
    // known before the module loads: the pipeline checks it against the time left first
    sendBoundMs,
    async send(message, options) {
      loading ??= load();
      return (await loading).send(message, options);
    },
    // the SES API adapter (createSesTransport) sends composed messages as Simple content
    ...(kind === "ses-api"
      ? {
          async sendComposed(message: ComposedMessage, options?: SendOptions) {
            loading ??= load();
            return (await loading).sendComposed!(message, options);
          },
        }
      : {}),
    async close() {
      if (loading) await (await loading).close();
    },
  };
}

/**
 * Identifies the settings a transport was built for, without keeping the password around:
 * all of them (SiteURL's host is the EHLO name, not only EmailSettings shape a connection).
 */
function settingsKey(kind: Transport, settings: HeraldSettings): string {
  return createHash("sha256").update(kind).update(JSON.stringify(settings)).digest("hex");
}
