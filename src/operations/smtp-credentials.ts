// The SMTP credentials custom resource and its scheduled tasks: an IAM access key for the SES
// sending user, turned into an SES SMTP username and password and stored in SSM under the
// settings prefix (smtp-key-rotation.ts holds the steps).
//
// The physical id is the user's name, so a rotation is an in-place Update: CloudFormation sends
// no Delete for it, and the handler alone decides when a previous key goes (at once, or after
// the grace period by the scheduled cleanup). Create and an Update that changes the user,
// prefix, key, region or serial rotate; an Update that changes the prefix also removes the old
// parameters, and is refused before anything changes when the function may not (the fix is
// named). Delete removes every key of the user, whichever rotation made it.
//
// Stacks deployed before this scheme have the key id as physical id: an Update that rotates
// moves them to the user's name, and the Delete CloudFormation then sends for the old id finds
// the parameters naming another key and leaves everything to the Update.
//
// Neither the secret access key nor the password is ever returned, logged or put in an error.
import { UpdateServiceCommand, type ECSClient } from "@aws-sdk/client-ecs";
import type { CloudFormationCustomResourceEvent } from "aws-lambda";
import * as z from "../zod.ts";
import { parameterName } from "../constants.ts";
import { errorName } from "../errors.ts";
import {
  SMTP_CREDENTIALS_ATTRIBUTE as ATTRIBUTE,
  SMTP_CREDENTIALS_PROPERTY as PROPERTY,
  SMTP_CREDENTIALS_TASK_FIELD,
  SMTP_CREDENTIALS_TASKS,
  SMTP_PASSWORD_SETTING,
  SMTP_USERNAME_SETTING,
} from "../ses/smtp-credentials-contract.ts";
import {
  isAccessKeyId,
  readUsername,
  SmtpCredentialsError,
  type PairLocation,
} from "./smtp-credentials-store.ts";
import {
  cleanup,
  removeAll,
  rotate,
  type CredentialsTarget,
  type RotationDeps,
} from "./smtp-key-rotation.ts";

export { SmtpCredentialsError };

/** An ECS service to restart after a rotation, so that its tasks read the new pair. */
export interface ServiceToRestart {
  cluster: string;
  service: string;
}

export interface SmtpCredentialsDeps extends RotationDeps {
  /** forces a new deployment of the service (ecs:UpdateService). @default none: nothing restarted */
  restartService?: (service: ServiceToRestart) => Promise<void>;
}

/** What the Provider framework returns to CloudFormation: names and the key id, no secret. */
export interface SmtpCredentialsResponse {
  PhysicalResourceId: string;
  Data?: Record<(typeof ATTRIBUTE)[keyof typeof ATTRIBUTE], string>;
}

const nonEmptyString = () => z.string().check(z.minLength(1));
const propertiesSchema = z.object({
  [PROPERTY.userName]: nonEmptyString(),
  [PROPERTY.parameterPrefix]: z.string().check(z.regex(/^\//, "must start with /")),
  [PROPERTY.kmsKeyId]: nonEmptyString(),
  [PROPERTY.region]: nonEmptyString(),
  [PROPERTY.serial]: z._default(z.coerce.string(), ""),
  // Absent in templates from before the grace period: today's behaviour then.
  [PROPERTY.gracePeriodSeconds]: z._default(z.coerce.number().check(z.int(), z.minimum(0)), 0),
  [PROPERTY.restartServices]: z._default(
    z.array(z.string().check(z.regex(/^[^|]+\|[^|]+$/, "must be <cluster>|<service>"))),
    [],
  ),
});
export type SmtpCredentialsProperties = z.infer<typeof propertiesSchema>;

function parseProperties(value: unknown): SmtpCredentialsProperties {
  const parsed = propertiesSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  throw new SmtpCredentialsError(
    "EPROPERTIES",
    `invalid SmtpCredentials properties (${problems})`,
    "the resource is defined by the SmtpCredentials construct; redeploy the stack rather than editing the template",
  );
}

function locationOf(props: SmtpCredentialsProperties): PairLocation {
  const prefix = props[PROPERTY.parameterPrefix];
  return {
    userName: props[PROPERTY.userName],
    usernameParameter: parameterName(prefix, SMTP_USERNAME_SETTING),
    passwordParameter: parameterName(prefix, SMTP_PASSWORD_SETTING),
    kmsKeyId: props[PROPERTY.kmsKeyId],
    region: props[PROPERTY.region],
  };
}

function targetOf(props: SmtpCredentialsProperties): CredentialsTarget {
  return { ...locationOf(props), gracePeriodMs: props[PROPERTY.gracePeriodSeconds] * 1000 };
}

/** Restarts a service through ECS: a new deployment, whose tasks read the settings at start. */
export function restartEcsService(ecs: ECSClient): NonNullable<SmtpCredentialsDeps["restartService"]> {
  return async ({ cluster, service }) => {
    await ecs.send(new UpdateServiceCommand({ cluster, service, forceNewDeployment: true }));
  };
}

/** The ECS services to restart, as the properties name them. */
function servicesToRestart(props: SmtpCredentialsProperties): ServiceToRestart[] {
  return props[PROPERTY.restartServices].map((entry) => {
    const [cluster, service] = entry.split("|") as [string, string];
    return { cluster, service };
  });
}

/** The properties whose change needs a new key (the grace period and services do not). */
const ROTATING = [
  PROPERTY.userName,
  PROPERTY.parameterPrefix,
  PROPERTY.kmsKeyId,
  PROPERTY.region,
  PROPERTY.serial,
];

/**
 * Restarts the services given after a rotation. A failure is logged, not thrown: the new pair
 * is stored and proven, and the previous key keeps the service working for the grace period.
 */
async function restartServices(props: SmtpCredentialsProperties, deps: SmtpCredentialsDeps): Promise<void> {
  for (const service of servicesToRestart(props)) {
    if (!deps.restartService) break;
    try {
      await deps.restartService(service);
      deps.logger.info("service restarted to read the new SMTP credentials", {
        event: "smtp-credentials.service-restarted",
        ...service,
      });
    } catch (error) {
      deps.logger.warn(
        "could not restart a service after the rotation: restart it before the grace period ends",
        {
          event: "smtp-credentials.restart-failed",
          ...service,
          error: errorName(error),
        },
      );
    }
  }
}

function dataFor(accessKeyId: string, props: SmtpCredentialsProperties): SmtpCredentialsResponse["Data"] {
  const location = locationOf(props);
  return {
    [ATTRIBUTE.accessKeyId]: accessKeyId,
    [ATTRIBUTE.usernameParameterName]: location.usernameParameter,
    [ATTRIBUTE.passwordParameterName]: location.passwordParameter,
  };
}

/**
 * A prefix change removes the old parameters: checked before anything changes, with a read the
 * same grant covers, so a function that may not touch them refuses with the fix instead of
 * failing after the new pair is stored (and leaving the old one behind).
 */
async function requireAccessToOldPrefix(
  before: SmtpCredentialsProperties,
  after: SmtpCredentialsProperties,
  deps: SmtpCredentialsDeps,
): Promise<void> {
  const old = locationOf(before);
  try {
    await readUsername(old, deps);
  } catch (error) {
    const denied = /AccessDenied/.test(errorName((error as Error).cause));
    if (!denied) throw error;
    throw new SmtpCredentialsError(
      "EPREFIXCHANGE",
      `parameterPrefix changed from ${before[PROPERTY.parameterPrefix]} to ${after[PROPERTY.parameterPrefix]}, and this function may not remove ${old.usernameParameter} and ${old.passwordParameter}; nothing was changed`,
      `deploy again with -c previousParameterPrefix=${before[PROPERTY.parameterPrefix]} (the SmtpCredentials prop previousParameterPrefixes), which lets it remove them; drop it in the deployment after`,
    );
  }
}

async function create(props: SmtpCredentialsProperties, deps: SmtpCredentialsDeps) {
  const { accessKeyId } = await rotate(targetOf(props), deps);
  return { PhysicalResourceId: props[PROPERTY.userName], Data: dataFor(accessKeyId, props) };
}

async function update(
  event: Extract<CloudFormationCustomResourceEvent, { RequestType: "Update" }>,
  props: SmtpCredentialsProperties,
  deps: SmtpCredentialsDeps,
): Promise<SmtpCredentialsResponse> {
  const before = parseProperties(event.OldResourceProperties);
  const changed = ROTATING.filter((key) => before[key] !== props[key]);
  const prefixChanged = changed.includes(PROPERTY.parameterPrefix);
  if (prefixChanged) await requireAccessToOldPrefix(before, props, deps);
  if (changed.length === 0) {
    const inUse = await readUsername(locationOf(props), deps);
    return {
      PhysicalResourceId: event.PhysicalResourceId,
      Data: dataFor(inUse ?? event.PhysicalResourceId, props),
    };
  }
  deps.logger.info("rotating SMTP credentials", { event: "smtp-credentials.rotating", changed });
  // A new user is a new resource (CloudFormation's Delete removes the old user's keys); the
  // same user's pair moves from the old prefix when that changed.
  const sameUser = before[PROPERTY.userName] === props[PROPERTY.userName];
  const from = sameUser && prefixChanged ? locationOf(before) : undefined;
  const target = targetOf(props);
  const { accessKeyId } = await rotate(target, deps, from ?? target);
  await restartServices(props, deps);
  return { PhysicalResourceId: props[PROPERTY.userName], Data: dataFor(accessKeyId, props) };
}

async function remove(
  physicalId: string,
  props: SmtpCredentialsProperties,
  deps: SmtpCredentialsDeps,
): Promise<SmtpCredentialsResponse> {
  const location = locationOf(props);
  if (isAccessKeyId(physicalId)) {
    // A physical id from before the user's name: when the parameters name another key, this
    // Delete follows an Update that rotated, and that Update retired this key already.
    const inUse = await readUsername(location, deps);
    if (inUse !== undefined && inUse !== physicalId) {
      deps.logger.info("parameters hold another key: the rotation retired this one", {
        event: "smtp-credentials.parameters-kept",
        accessKeyId: physicalId,
      });
      return { PhysicalResourceId: physicalId };
    }
  }
  await removeAll(location, deps);
  return { PhysicalResourceId: physicalId };
}

export async function handleSmtpCredentials(
  event: CloudFormationCustomResourceEvent,
  deps: SmtpCredentialsDeps,
): Promise<SmtpCredentialsResponse> {
  const props = parseProperties(event.ResourceProperties);
  switch (event.RequestType) {
    case "Create":
      return create(props, deps);
    case "Update":
      return update(event, props, deps);
    case "Delete":
      return remove(event.PhysicalResourceId, props, deps);
  }
}

const taskSchema = z.object({
  [SMTP_CREDENTIALS_TASK_FIELD]: z.enum(SMTP_CREDENTIALS_TASKS),
  properties: z.unknown(),
});

/** Whether an invocation is a scheduled task rather than a CloudFormation event. */
export function isSmtpCredentialsTask(event: unknown): boolean {
  return typeof event === "object" && event !== null && SMTP_CREDENTIALS_TASK_FIELD in event;
}

/** What a scheduled task did (no secret). */
export interface SmtpCredentialsTaskResult {
  task: (typeof SMTP_CREDENTIALS_TASKS)[number];
  accessKeyId?: string;
  deletedAccessKeyIds?: string[];
}

/** The scheduled rotation and the grace-period cleanup: the same steps outside deployments. */
export async function handleSmtpCredentialsTask(
  event: unknown,
  deps: SmtpCredentialsDeps,
): Promise<SmtpCredentialsTaskResult> {
  const parsed = taskSchema.safeParse(event);
  if (!parsed.success) {
    throw new SmtpCredentialsError(
      "EEVENT",
      `not an SMTP credentials task: ${SMTP_CREDENTIALS_TASK_FIELD} must be one of ${SMTP_CREDENTIALS_TASKS.join(", ")}`,
      "the schedules are defined by the SmtpCredentials construct; redeploy rather than editing them",
    );
  }
  const task = parsed.data[SMTP_CREDENTIALS_TASK_FIELD];
  const props = parseProperties(parsed.data.properties);
  const target = targetOf(props);
  if (task === "rotate") {
    const { accessKeyId } = await rotate(target, deps);
    await restartServices(props, deps);
    return { task, accessKeyId };
  }
  return { task, deletedAccessKeyIds: await cleanup(target, deps) };
}
