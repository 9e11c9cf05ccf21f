// Where the SMTP credentials live: the SES sending user's IAM access keys, and the two SSM
// parameters (SMTPUsername, SMTPPassword) that hold one of them as a pair. Every call here is
// one AWS call with an error that names the step and never a secret: a call whose request or
// reply may hold the password keeps only the error's name, and no cause.
import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  ListAccessKeysCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import {
  DeleteParametersCommand,
  GetParametersCommand,
  PutParameterCommand,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import type { Logger } from "@aws-lambda-powertools/logger";
import { describeError, errorName, HeraldError } from "../errors.ts";

/** A step of the SMTP credentials failed; the message names the step, never a secret. */
export class SmtpCredentialsError extends HeraldError {
  override name = "SmtpCredentialsError";
  readonly code: string;
  declare readonly hint: string;
  constructor(code: string, message: string, hint: string, options?: ErrorOptions) {
    super(message, { ...options, hint });
    this.code = code;
  }
}

export interface StoreDeps {
  iam: IAMClient;
  ssm: SSMClient;
  logger: Pick<Logger, "info" | "warn">;
}

/** Where one deployment's pair goes. */
export interface PairLocation {
  userName: string;
  usernameParameter: string;
  passwordParameter: string;
  /** the KMS key of the SMTPPassword SecureString */
  kmsKeyId: string;
  /** the SES region the password is derived for (in the parameter's description) */
  region: string;
}

export interface AccessKey {
  accessKeyId: string;
  /** epoch milliseconds */
  created: number;
}

/** The SMTP username and password: the access key id, and the password derived from its secret. */
export interface SmtpPair {
  username: string;
  password: string;
}

/** IAM access key ids are upper-case letters and digits beginning with AKIA (long-term keys). */
export function isAccessKeyId(value: string | undefined): value is string {
  return value !== undefined && /^AKIA[A-Z0-9]{12,124}$/.test(value);
}

export async function listKeys(userName: string, deps: StoreDeps): Promise<AccessKey[]> {
  try {
    const reply = await deps.iam.send(new ListAccessKeysCommand({ UserName: userName }));
    return (reply?.AccessKeyMetadata ?? [])
      .filter((key) => key.AccessKeyId !== undefined)
      .map((key) => ({ accessKeyId: key.AccessKeyId!, created: key.CreateDate?.getTime() ?? 0 }))
      .sort((a, b) => a.created - b.created);
  } catch (error) {
    if (errorName(error) === "NoSuchEntityException") return [];
    throw new SmtpCredentialsError(
      "ELISTKEYS",
      `ListAccessKeys of IAM user ${userName} failed (${describeError(error)})`,
      "check the function's iam:ListAccessKeys permission on the SMTP user",
      { cause: error },
    );
  }
}

export async function createKey(
  userName: string,
  deps: StoreDeps,
): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  try {
    const created = await deps.iam.send(new CreateAccessKeyCommand({ UserName: userName }));
    const accessKeyId = created.AccessKey?.AccessKeyId;
    const secretAccessKey = created.AccessKey?.SecretAccessKey;
    if (accessKeyId && secretAccessKey) return { accessKeyId, secretAccessKey };
  } catch (error) {
    // The reply of a failed call holds no key; the error is IAM's (LimitExceeded, AccessDenied).
    throw new SmtpCredentialsError(
      "ECREATEKEY",
      `CreateAccessKey for IAM user ${userName} failed (${describeError(error)})`,
      "an IAM user has at most two access keys: delete a stale one, then retry the deployment",
      { cause: error },
    );
  }
  throw new SmtpCredentialsError("ECREATEKEY", "CreateAccessKey returned no key", "retry the deployment");
}

/** Deletes an access key; a key or user that is already gone is fine. */
export async function deleteKey(userName: string, accessKeyId: string, deps: StoreDeps): Promise<void> {
  try {
    await deps.iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId }));
    deps.logger.info("access key deleted", { event: "smtp-credentials.key-deleted", userName, accessKeyId });
  } catch (error) {
    if (errorName(error) === "NoSuchEntityException") return;
    throw new SmtpCredentialsError(
      "EDELETEKEY",
      `DeleteAccessKey ${accessKeyId} of IAM user ${userName} failed (${describeError(error)})`,
      "delete the key in the IAM console, then retry",
      { cause: error },
    );
  }
}

/** What the two parameters hold now; a missing one is undefined. Holds the password: never log it. */
export interface StoredPair {
  username?: string;
  password?: string;
}

/** Reads both parameters (the password decrypted: it is what a failed write restores). */
export async function readPair(location: PairLocation, deps: StoreDeps): Promise<StoredPair> {
  try {
    const reply = await deps.ssm.send(
      new GetParametersCommand({
        Names: [location.usernameParameter, location.passwordParameter],
        WithDecryption: true,
      }),
    );
    const value = (name: string) => reply.Parameters?.find((p) => p.Name === name)?.Value;
    return { username: value(location.usernameParameter), password: value(location.passwordParameter) };
  } catch (error) {
    throw new SmtpCredentialsError(
      "EGETPARAMETER",
      `GetParameters ${location.usernameParameter}, ${location.passwordParameter} failed (${errorName(error)})`,
      "check the function's ssm:GetParameters permission on the settings prefix and kms:Decrypt on the key",
    );
  }
}

/** Only the username (no decryption): which key the pair names. */
export async function readUsername(
  location: Pick<PairLocation, "usernameParameter" | "passwordParameter">,
  deps: StoreDeps,
): Promise<string | undefined> {
  try {
    const reply = await deps.ssm.send(new GetParametersCommand({ Names: [location.usernameParameter] }));
    return reply.Parameters?.find((p) => p.Name === location.usernameParameter)?.Value;
  } catch (error) {
    throw new SmtpCredentialsError(
      "EGETPARAMETER",
      `GetParameters ${location.usernameParameter} failed (${describeError(error)})`,
      "check the function's ssm:GetParameters permission on the settings prefix",
      { cause: error },
    );
  }
}

async function putUsername(location: PairLocation, username: string, deps: StoreDeps): Promise<void> {
  try {
    await deps.ssm.send(
      new PutParameterCommand({
        Name: location.usernameParameter,
        Value: username,
        Type: "String",
        Overwrite: true,
        Description: `Herald: SES SMTP username (access key id of IAM user ${location.userName})`,
      }),
    );
  } catch (error) {
    throw new SmtpCredentialsError(
      "EPUTPARAMETER",
      `PutParameter ${location.usernameParameter} failed (${describeError(error)})`,
      "check the function's ssm:PutParameter permission on the settings prefix",
      { cause: error },
    );
  }
}

async function putPassword(location: PairLocation, password: string, deps: StoreDeps): Promise<void> {
  try {
    await deps.ssm.send(
      new PutParameterCommand({
        Name: location.passwordParameter,
        Value: password,
        Type: "SecureString",
        KeyId: location.kmsKeyId,
        Overwrite: true,
        Description: `Herald: SES SMTP password for ${location.region} (IAM user ${location.userName})`,
      }),
    );
  } catch (error) {
    // An SSM validation message may quote the value it refused: keep only the error's name.
    throw new SmtpCredentialsError(
      "EPUTPARAMETER",
      `PutParameter ${location.passwordParameter} (SecureString) failed (${errorName(error)})`,
      "check ssm:PutParameter on the settings prefix and kms:Encrypt / kms:GenerateDataKey on the key",
    );
  }
}

async function deleteParameters(names: string[], deps: StoreDeps): Promise<void> {
  try {
    await deps.ssm.send(new DeleteParametersCommand({ Names: names }));
  } catch (error) {
    throw new SmtpCredentialsError(
      "EDELETEPARAMETER",
      `DeleteParameters ${names.join(", ")} failed (${describeError(error)})`,
      "check the function's ssm:DeleteParameters permission, or delete them by hand",
      { cause: error },
    );
  }
}

/** Puts one parameter back as it was (absent: deleted). */
async function restoreOne(
  location: PairLocation,
  which: "username" | "password",
  previous: StoredPair,
  deps: StoreDeps,
): Promise<void> {
  const value = previous[which];
  const name = which === "username" ? location.usernameParameter : location.passwordParameter;
  if (value === undefined) return deleteParameters([name], deps);
  if (which === "username") return putUsername(location, value, deps);
  return putPassword(location, value, deps);
}

/** How many times each restore write is tried: SSM throttling passes, an outage does not. */
const RESTORE_ATTEMPTS = 3;

/**
 * Writes the pair so that both parameters change or neither: the password first, then the
 * username; when a write fails, both are put back as they were (`previous`). Resolves when the
 * new pair is stored. Rejects with `restored: true` when the previous pair is back, or
 * `restored: false` when the restore failed too: then the parameters may hold a mixed pair,
 * and the caller keeps every key, since either half may name it.
 */
export async function writePair(
  location: PairLocation,
  pair: SmtpPair,
  previous: StoredPair,
  deps: StoreDeps,
): Promise<void> {
  try {
    await putPassword(location, pair.password, deps);
    await putUsername(location, pair.username, deps);
    return;
  } catch (error) {
    const failure = error as SmtpCredentialsError;
    // A timed-out write may have been applied: restore both, not only the one that failed.
    const unrestored: string[] = [];
    for (const which of ["username", "password"] as const) {
      let done = false;
      for (let attempt = 1; attempt <= RESTORE_ATTEMPTS && !done; attempt += 1) {
        done = await restoreOne(location, which, previous, deps).then(
          () => true,
          (restoreError: unknown) => {
            deps.logger.warn("could not restore a parameter", {
              event: "smtp-credentials.restore-failed",
              parameter: which === "username" ? location.usernameParameter : location.passwordParameter,
              attempt,
              error: errorName(restoreError),
            });
            return false;
          },
        );
      }
      if (!done)
        unrestored.push(which === "username" ? location.usernameParameter : location.passwordParameter);
    }
    if (unrestored.length === 0) {
      deps.logger.warn("the previous SMTP credentials were restored after a failed write", {
        event: "smtp-credentials.restored",
        parameters: [location.usernameParameter, location.passwordParameter],
      });
      throw new PairWriteError(failure, true);
    }
    throw new PairWriteError(failure, false, unrestored);
  }
}

/** A pair that could not be written; says whether the previous one is back. */
export class PairWriteError extends SmtpCredentialsError {
  override name = "PairWriteError";
  readonly restored: boolean;
  constructor(failure: SmtpCredentialsError, restored: boolean, unrestored: string[] = []) {
    super(
      restored ? failure.code : "EPAIRMISMATCH",
      restored
        ? `${failure.message}; the previous SMTPUsername and SMTPPassword were restored`
        : `${failure.message}; restoring the previous values failed too (${unrestored.join(", ")}): the two parameters may not match, so both access keys are kept`,
      restored
        ? failure.hint
        : `${failure.hint}; then deploy again (or let CloudFormation roll back): the next rotation writes a matching pair`,
    );
    this.restored = restored;
  }
}

/** Deletes both parameters (a missing one is fine). */
export async function deletePair(location: PairLocation, deps: StoreDeps): Promise<void> {
  await deleteParameters([location.usernameParameter, location.passwordParameter], deps);
  deps.logger.info("parameters deleted", {
    event: "smtp-credentials.parameters-deleted",
    parameters: [location.usernameParameter, location.passwordParameter],
  });
}
