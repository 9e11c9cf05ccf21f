// What a deployment fixes around the settings, read from the variables the stack gives each
// function: settings validation checks the settings against it. Absent variables (the CLI, the
// sandbox) leave the matching checks out.
import { ALLOWED_SENDER_ENV, SEND_TIMEOUT_ENV, SES_IDENTITY_ENV } from "../constants.ts";

export interface DeploymentFacts {
  /** HERALD_ALLOWED_SENDER: the only sender address (with `@`), or the sending domain. */
  readonly allowedSender?: string;
  /** HERALD_SEND_TIMEOUT_SECONDS: the send-notification function's timeout. */
  readonly sendTimeoutSeconds?: number;
  /** HERALD_SES_IDENTITY: the SES identity sends go through (the domain, or a parent of it). */
  readonly sesIdentity?: string;
}

export function deploymentFactsFrom(env: Readonly<NodeJS.ProcessEnv>): DeploymentFacts {
  const allowedSender = env[ALLOWED_SENDER_ENV]?.trim().toLowerCase();
  const sendTimeout = Number(env[SEND_TIMEOUT_ENV] ?? Number.NaN);
  const sesIdentity = env[SES_IDENTITY_ENV]?.trim().toLowerCase();
  return {
    ...(sesIdentity ? { sesIdentity } : {}),
    ...(allowedSender ? { allowedSender } : {}),
    ...(Number.isInteger(sendTimeout) && sendTimeout > 0 ? { sendTimeoutSeconds: sendTimeout } : {}),
  };
}

/**
 * The SES identity that covers a sender's domain: the deployment's identity when the domain is
 * it or under it (SES authorizes a subdomain through a verified parent), else the domain itself.
 */
export function sesIdentityFor(facts: DeploymentFacts | undefined, senderDomain: string): string {
  const identity = facts?.sesIdentity;
  const domain = senderDomain.toLowerCase();
  return identity !== undefined && isSameOrSubdomain(domain, identity) ? identity : domain;
}

/** Whether the deployment may send as `address`: the same address, or one in the domain. */
export function maySendAs(facts: DeploymentFacts, address: string): boolean {
  const allowed = facts.allowedSender;
  if (allowed === undefined) return true;
  const from = address.trim().toLowerCase();
  if (allowed.includes("@")) return from === allowed;
  return isSameOrSubdomain(from.slice(from.lastIndexOf("@") + 1), allowed);
}

function isSameOrSubdomain(domain: string, parent: string): boolean {
  return domain === parent || domain.endsWith(`.${parent}`);
}
