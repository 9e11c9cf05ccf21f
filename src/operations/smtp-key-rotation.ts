// The steps on the SES sending user's keys, shared by the custom resource (deployments) and the
// scheduled tasks (rotation and grace cleanup outside deployments):
//
// rotate: make room within IAM's two keys (never the key the parameters name), create a key,
//   prove its SMTP password logs in to the region's SES SMTP endpoint, write the pair (both
//   parameters or neither), then retire the previous key: at once with no grace period, else
//   it stays active until the cleanup after the grace period.
// cleanup: once the key the parameters name is older than the grace period, delete the older ones.
// removeAll: every key of the user, and the pair when it names one of them.
//
// No secret is logged, returned or put in an error.
import { errorName } from "../errors.ts";
import { sesSmtpPassword } from "../ses/smtp-password.ts";
import {
  createKey,
  deleteKey,
  deletePair,
  listKeys,
  PairWriteError,
  readPair,
  readUsername,
  SmtpCredentialsError,
  writePair,
  type AccessKey,
  type PairLocation,
  type StoreDeps,
} from "./smtp-credentials-store.ts";
import { proveSmtpLogin, sesSmtpEndpoint, type SmtpEndpoint } from "./smtp-login-proof.ts";

/** One deployment's credentials: where the pair goes and how long a previous key lives on. */
export interface CredentialsTarget extends PairLocation {
  /** how long the previous key stays active after a rotation; 0 deletes it at once */
  gracePeriodMs: number;
}

export interface RotationDeps extends StoreDeps {
  /** epoch milliseconds by which the work must be over (the invocation's time less a margin) */
  deadline: number;
  /** the clock the grace period is measured with (not the deadline's). @default Date.now */
  now?: () => number;
  /** where the proof logs in. @default the region's SES SMTP endpoint, port 465 */
  smtpEndpoint?: (region: string) => SmtpEndpoint;
  /** pause between login attempts while IAM propagates the key. @default 5000 */
  proofRetryDelayMs?: number;
}

/** Time kept after the proof for the writes, the restore and the key deletions. */
const WRITE_MARGIN_MS = 20_000;

function clock(deps: RotationDeps): number {
  return (deps.now ?? Date.now)();
}

/**
 * Deletes keys the parameters do not name, oldest first, until a new one fits IAM's limit of
 * two. A key left in its grace period (or by a rolled-back rotation) goes before its time:
 * the pair in use stays, so consumers that reread it keep working.
 */
async function makeRoom(userName: string, keys: AccessKey[], inUse: string | undefined, deps: RotationDeps) {
  let count = keys.length;
  for (const key of keys) {
    if (count < 2) break;
    if (key.accessKeyId === inUse) continue;
    deps.logger.warn("deleting a previous key before its grace period ended: IAM allows two keys", {
      event: "smtp-credentials.grace-cut-short",
      userName,
      accessKeyId: key.accessKeyId,
    });
    await deleteKey(userName, key.accessKeyId, deps);
    count -= 1;
  }
}

export interface RotationResult {
  accessKeyId: string;
  /** the key the parameters named before, still active for the grace period (if any) */
  previousAccessKeyId?: string;
}

/**
 * Rotates the pair into `target`. `from` is where the pair in use is (another prefix when the
 * prefix changes): its parameters are deleted once the new pair is stored.
 */
export async function rotate(
  target: CredentialsTarget,
  deps: RotationDeps,
  from: PairLocation = target,
): Promise<RotationResult> {
  const { userName } = target;
  const keys = await listKeys(userName, deps);
  const inUse = await readUsername(from, deps);
  const previous = await readPair(target, deps);
  await makeRoom(userName, keys, inUse, deps);

  const key = await createKey(userName, deps);
  const pair = { username: key.accessKeyId, password: sesSmtpPassword(key.secretAccessKey, target.region) };
  const dropNewKey = () =>
    deleteKey(userName, key.accessKeyId, deps).catch((error: unknown) =>
      deps.logger.warn("could not delete the new access key after the failure", {
        event: "smtp-credentials.cleanup-failed",
        accessKeyId: key.accessKeyId,
        error: errorName(error),
      }),
    );

  const endpoint = (deps.smtpEndpoint ?? sesSmtpEndpoint)(target.region);
  const proof = await proveSmtpLogin(pair, {
    endpoint,
    deadline: deps.deadline - WRITE_MARGIN_MS,
    ...(deps.proofRetryDelayMs !== undefined ? { retryDelayMs: deps.proofRetryDelayMs } : {}),
  });
  if (!proof.ok) {
    await dropNewKey();
    throw new SmtpCredentialsError(
      "EPROOF",
      `the new SMTP credentials (access key ${key.accessKeyId}) did not log in to ${endpoint.host}:${endpoint.port} in ${proof.attempts} attempt(s) (last: ${proof.reason}); the new key was deleted and the previous credentials stay in use`,
      "IAM can take minutes to propagate a new key to SES: deploy again later; a 535 that persists means the user or region is wrong (the password is derived per region)",
    );
  }
  deps.logger.info("the new SMTP credentials logged in", {
    event: "smtp-credentials.proven",
    accessKeyId: key.accessKeyId,
    endpoint: `${endpoint.host}:${endpoint.port}`,
    attempts: proof.attempts,
  });

  try {
    await writePair(target, pair, previous, deps);
  } catch (error) {
    // Restored: the new key is named nowhere. Not restored: either half may name it; keep it.
    if (error instanceof PairWriteError && error.restored) await dropNewKey();
    throw error;
  }
  if (from !== target) await deletePair(from, deps);
  deps.logger.info("SMTP credentials stored", {
    event: "smtp-credentials.rotated",
    userName,
    accessKeyId: key.accessKeyId,
    previousAccessKeyId: inUse,
    parameters: [target.usernameParameter, target.passwordParameter],
    region: target.region,
  });

  const retired = (await listKeys(userName, deps)).filter((k) => k.accessKeyId !== key.accessKeyId);
  let previousAccessKeyId: string | undefined;
  if (target.gracePeriodMs <= 0) {
    for (const old of retired) await deleteKey(userName, old.accessKeyId, deps);
  } else if (retired.length > 0) {
    previousAccessKeyId = retired.at(-1)!.accessKeyId;
    deps.logger.info("the previous key stays active for the grace period", {
      event: "smtp-credentials.grace-started",
      accessKeyId: previousAccessKeyId,
      until: new Date(clock(deps) + target.gracePeriodMs).toISOString(),
    });
  }
  return { accessKeyId: key.accessKeyId, ...(previousAccessKeyId ? { previousAccessKeyId } : {}) };
}

/**
 * Deletes the keys the parameters do not name once the named key is older than the grace
 * period (the grace period starts when the new key is made). Returns the keys deleted.
 */
export async function cleanup(target: CredentialsTarget, deps: RotationDeps): Promise<string[]> {
  const { userName } = target;
  const keys = await listKeys(userName, deps);
  const inUse = await readUsername(target, deps);
  const current = keys.find((key) => key.accessKeyId === inUse);
  // Only keys older than the one in use: a newer one belongs to a rotation still proving it.
  const others = keys.filter((key) => key !== current && (!current || key.created < current.created));
  if (others.length === 0) return [];
  if (!current) {
    // Which key is live is unknown (parameters missing or edited): deleting could cut it off.
    deps.logger.warn("the SMTPUsername parameter names no key of the user: no key deleted", {
      event: "smtp-credentials.cleanup-skipped",
      userName,
      parameter: target.usernameParameter,
    });
    return [];
  }
  const due = current.created + target.gracePeriodMs;
  if (clock(deps) < due) {
    deps.logger.info("the previous key stays active until the grace period ends", {
      event: "smtp-credentials.grace-kept",
      accessKeyIds: others.map((key) => key.accessKeyId),
      until: new Date(due).toISOString(),
    });
    return [];
  }
  for (const key of others) await deleteKey(userName, key.accessKeyId, deps);
  return others.map((key) => key.accessKeyId);
}

/** Every key of the user, whichever rotation made it, and the pair when it names one of them. */
export async function removeAll(location: PairLocation, deps: StoreDeps): Promise<void> {
  const keys = await listKeys(location.userName, deps);
  const inUse = await readUsername(location, deps);
  for (const key of keys) await deleteKey(location.userName, key.accessKeyId, deps);
  if (inUse !== undefined && keys.some((key) => key.accessKeyId === inUse)) {
    await deletePair(location, deps);
  } else if (inUse !== undefined) {
    deps.logger.info("parameters name a key of another user: kept", {
      event: "smtp-credentials.parameters-kept",
      parameter: location.usernameParameter,
      accessKeyId: inUse,
    });
  }
}
