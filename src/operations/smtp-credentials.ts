// The SMTP credentials custom resource: an IAM access key for the SES sending user, turned into
// an SES SMTP username and password and stored in SSM under the settings prefix.
//
// Create: new key, parameters written (the password first). Update with changed properties (a new credentialsSerial,
// prefix, key or region): a new key and parameters, a new physical id, so CloudFormation then
// deletes the old resource; that Delete removes the old key only, because the parameters hold
// the new one by then. A key of the user that CloudFormation no longer tracks (a rotation rolled
// back) is deleted before the new one is made. Delete: the key and, when they still hold it,
// the parameters.
//
// Neither the secret access key nor the password is ever returned, logged or put in an error.
import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  ListAccessKeysCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import {
  DeleteParametersCommand,
  GetParameterCommand,
  PutParameterCommand,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { CloudFormationCustomResourceEvent } from "aws-lambda";
import * as z from "zod";
import { parameterName } from "../constants.ts";
import {
  SMTP_CREDENTIALS_ATTRIBUTE as ATTRIBUTE,
  SMTP_CREDENTIALS_PROPERTY as PROPERTY,
  SMTP_PASSWORD_SETTING,
  SMTP_USERNAME_SETTING,
} from "../ses/smtp-credentials-contract.ts";
import { sesSmtpPassword } from "../ses/smtp-password.ts";

export interface SmtpCredentialsDeps {
  iam: IAMClient;
  ssm: SSMClient;
  logger: Pick<Logger, "info" | "warn">;
}

/** What the Provider framework returns to CloudFormation: names and the key id, no secret. */
export interface SmtpCredentialsResponse {
  PhysicalResourceId: string;
  Data?: Record<(typeof ATTRIBUTE)[keyof typeof ATTRIBUTE], string>;
}

/** A step of the custom resource failed; the message names the step, never a secret. */
export class SmtpCredentialsError extends Error {
  override name = "SmtpCredentialsError";
  readonly code: string;
  readonly hint: string;
  constructor(code: string, message: string, hint: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.hint = hint;
  }
}

const propertiesSchema = z.object({
  [PROPERTY.userName]: z.string().min(1),
  [PROPERTY.parameterPrefix]: z.string().regex(/^\//, "must start with /"),
  [PROPERTY.kmsKeyId]: z.string().min(1),
  [PROPERTY.region]: z.string().min(1),
  [PROPERTY.serial]: z.coerce.string().default(""),
});
type Properties = z.infer<typeof propertiesSchema>;

function parseProperties(value: unknown): Properties {
  const parsed = propertiesSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  throw new SmtpCredentialsError(
    "EPROPERTIES",
    `invalid SmtpCredentials properties (${problems})`,
    "the resource is defined by the SmtpCredentials construct; redeploy the stack rather than editing the template",
  );
}

function parameterNames(props: Properties) {
  return {
    username: parameterName(props[PROPERTY.parameterPrefix], SMTP_USERNAME_SETTING),
    password: parameterName(props[PROPERTY.parameterPrefix], SMTP_PASSWORD_SETTING),
  };
}

/** IAM access key ids are upper-case letters and digits beginning with AKIA (long-term keys). */
function isAccessKeyId(value: string): boolean {
  return /^AKIA[A-Z0-9]{12,124}$/.test(value);
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "Error";
}

/** The SDK error's name and message: only for calls whose request and reply hold no secret. */
function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function createKey(userName: string, deps: SmtpCredentialsDeps) {
  try {
    const created = await deps.iam.send(new CreateAccessKeyCommand({ UserName: userName }));
    const accessKeyId = created.AccessKey?.AccessKeyId;
    const secretAccessKey = created.AccessKey?.SecretAccessKey;
    if (accessKeyId && secretAccessKey) return { accessKeyId, secretAccessKey };
  } catch (error) {
    throw new SmtpCredentialsError(
      "ECREATEKEY",
      `CreateAccessKey for IAM user ${userName} failed (${describe(error)})`,
      "an IAM user has at most two access keys: delete a stale one, then retry the deployment",
      { cause: error },
    );
  }
  throw new SmtpCredentialsError("ECREATEKEY", "CreateAccessKey returned no key", "retry the deployment");
}

async function putUsername(name: string, accessKeyId: string, userName: string, deps: SmtpCredentialsDeps) {
  try {
    await deps.ssm.send(
      new PutParameterCommand({
        Name: name,
        Value: accessKeyId,
        Type: "String",
        Overwrite: true,
        Description: `Herald: SES SMTP username (access key id of IAM user ${userName})`,
      }),
    );
  } catch (error) {
    throw new SmtpCredentialsError(
      "EPUTPARAMETER",
      `PutParameter ${name} failed (${describe(error)})`,
      "check the function's ssm:PutParameter permission on the settings prefix",
      { cause: error },
    );
  }
}

async function putPassword(name: string, password: string, props: Properties, deps: SmtpCredentialsDeps) {
  try {
    await deps.ssm.send(
      new PutParameterCommand({
        Name: name,
        Value: password,
        Type: "SecureString",
        KeyId: props[PROPERTY.kmsKeyId],
        Overwrite: true,
        Description: `Herald: SES SMTP password for ${props[PROPERTY.region]} (IAM user ${props[PROPERTY.userName]})`,
      }),
    );
  } catch (error) {
    // An SSM validation message may quote the value it refused: keep only the error's name,
    // and no cause.
    throw new SmtpCredentialsError(
      "EPUTPARAMETER",
      `PutParameter ${name} (SecureString) failed (${errorName(error)})`,
      "check ssm:PutParameter on the settings prefix and kms:Encrypt / kms:GenerateDataKey on the key",
    );
  }
}

/** Creates a key, stores its SMTP username and password, and returns the key id. */
async function createCredentials(
  props: Properties,
  deps: SmtpCredentialsDeps,
): Promise<SmtpCredentialsResponse> {
  const userName = props[PROPERTY.userName];
  const names = parameterNames(props);
  const key = await createKey(userName, deps);
  try {
    // The password first: it is the write that can fail on the key (KMS), and a failure then
    // leaves a rotated pair untouched. The other order would leave the new, deleted key id
    // beside the old password, and every send would fail to log in.
    await putPassword(
      names.password,
      sesSmtpPassword(key.secretAccessKey, props[PROPERTY.region]),
      props,
      deps,
    );
    await putUsername(names.username, key.accessKeyId, userName, deps);
  } catch (error) {
    // Leave no orphan key behind: the next attempt creates a fresh one.
    await deleteKey(userName, key.accessKeyId, deps).catch((cleanup: unknown) =>
      deps.logger.warn("could not delete the new access key after the failure", {
        event: "smtp-credentials.cleanup-failed",
        accessKeyId: key.accessKeyId,
        error: errorName(cleanup),
      }),
    );
    throw error;
  }
  deps.logger.info("SMTP credentials stored", {
    event: "smtp-credentials.created",
    userName,
    accessKeyId: key.accessKeyId,
    parameters: [names.username, names.password],
    region: props[PROPERTY.region],
  });
  return { PhysicalResourceId: key.accessKeyId, Data: dataFor(key.accessKeyId, props) };
}

/** Deletes an access key; a key or user that is already gone is fine. */
async function deleteKey(userName: string, accessKeyId: string, deps: SmtpCredentialsDeps): Promise<void> {
  try {
    await deps.iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId }));
    deps.logger.info("access key deleted", { event: "smtp-credentials.key-deleted", userName, accessKeyId });
  } catch (error) {
    if (errorName(error) === "NoSuchEntityException") return;
    throw new SmtpCredentialsError(
      "EDELETEKEY",
      `DeleteAccessKey ${accessKeyId} of IAM user ${userName} failed (${describe(error)})`,
      "delete the key in the IAM console, then retry",
      { cause: error },
    );
  }
}

/**
 * Deletes the user's keys other than `current` (the one CloudFormation knows) before a new key
 * is made. There is one only when a rotation is rolled back: the old key still exists (its
 * Delete comes only after a successful update), the parameters hold the new one, and a third
 * key would exceed IAM's limit of two, leaving the stack in UPDATE_ROLLBACK_FAILED.
 */
async function deleteStaleKeys(userName: string, current: string, deps: SmtpCredentialsDeps): Promise<void> {
  let keys;
  try {
    keys = (await deps.iam.send(new ListAccessKeysCommand({ UserName: userName })))?.AccessKeyMetadata ?? [];
  } catch (error) {
    throw new SmtpCredentialsError(
      "ELISTKEYS",
      `ListAccessKeys of IAM user ${userName} failed (${describe(error)})`,
      "check the function's iam:ListAccessKeys permission on the SMTP user",
      { cause: error },
    );
  }
  for (const { AccessKeyId: stale } of keys) {
    if (stale === undefined || stale === current) continue;
    deps.logger.info("deleting a key left by a rolled-back rotation", {
      event: "smtp-credentials.stale-key",
      userName,
      accessKeyId: stale,
    });
    await deleteKey(userName, stale, deps);
  }
}

/** Deletes the two parameters when they still hold `accessKeyId` (not after a rotation). */
async function deleteParametersOf(
  accessKeyId: string,
  props: Properties,
  deps: SmtpCredentialsDeps,
): Promise<void> {
  const names = parameterNames(props);
  let current: string | undefined;
  try {
    current = (await deps.ssm.send(new GetParameterCommand({ Name: names.username }))).Parameter?.Value;
  } catch (error) {
    if (errorName(error) === "ParameterNotFound") return;
    throw new SmtpCredentialsError(
      "EGETPARAMETER",
      `GetParameter ${names.username} failed (${describe(error)})`,
      "check the function's ssm:GetParameter permission on the settings prefix",
      { cause: error },
    );
  }
  if (current !== accessKeyId) {
    deps.logger.info("parameters hold another key: kept", {
      event: "smtp-credentials.parameters-kept",
      accessKeyId,
      current,
    });
    return;
  }
  try {
    await deps.ssm.send(new DeleteParametersCommand({ Names: [names.username, names.password] }));
  } catch (error) {
    throw new SmtpCredentialsError(
      "EDELETEPARAMETER",
      `DeleteParameters ${names.username}, ${names.password} failed (${describe(error)})`,
      "check the function's ssm:DeleteParameters permission, or delete them by hand",
      { cause: error },
    );
  }
  deps.logger.info("parameters deleted", {
    event: "smtp-credentials.parameters-deleted",
    parameters: [names.username, names.password],
  });
}

/** The properties that, when changed, need a new key (CloudFormation's own ServiceToken aside). */
function changed(before: Properties, after: Properties): boolean {
  return (Object.keys(after) as (keyof Properties)[]).some((key) => before[key] !== after[key]);
}

export async function handleSmtpCredentials(
  event: CloudFormationCustomResourceEvent,
  deps: SmtpCredentialsDeps,
): Promise<SmtpCredentialsResponse> {
  const props = parseProperties(event.ResourceProperties);
  switch (event.RequestType) {
    case "Create":
      return createCredentials(props, deps);
    case "Update": {
      const before = parseProperties(event.OldResourceProperties);
      if (!changed(before, props) && isAccessKeyId(event.PhysicalResourceId)) {
        return {
          PhysicalResourceId: event.PhysicalResourceId,
          Data: dataFor(event.PhysicalResourceId, props),
        };
      }
      // A new physical id: CloudFormation sends Delete for the old key once the update is done.
      deps.logger.info("rotating SMTP credentials", {
        event: "smtp-credentials.rotating",
        previousAccessKeyId: event.PhysicalResourceId,
      });
      await deleteStaleKeys(props[PROPERTY.userName], event.PhysicalResourceId, deps);
      return createCredentials(props, deps);
    }
    case "Delete": {
      const accessKeyId = event.PhysicalResourceId;
      // A Create that failed has no key: CloudFormation still sends Delete on rollback.
      if (!isAccessKeyId(accessKeyId)) return { PhysicalResourceId: accessKeyId };
      await deleteKey(props[PROPERTY.userName], accessKeyId, deps);
      await deleteParametersOf(accessKeyId, props, deps);
      return { PhysicalResourceId: accessKeyId };
    }
  }
}

function dataFor(accessKeyId: string, props: Properties): SmtpCredentialsResponse["Data"] {
  const names = parameterNames(props);
  return {
    [ATTRIBUTE.accessKeyId]: accessKeyId,
    [ATTRIBUTE.usernameParameterName]: names.username,
    [ATTRIBUTE.passwordParameterName]: names.password,
  };
}
