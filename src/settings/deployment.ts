// What a deployment fixes around the settings, read from the variables the stack gives each
// function: settings validation checks the settings against it. Absent variables (the CLI, the
// sandbox) leave the matching checks out.
import { ALLOWED_SENDER_ENV, SEND_TIMEOUT_ENV } from "../constants.ts";

export interface DeploymentFacts {
  /** HERALD_ALLOWED_SENDER: the only sender address (with `@`), or the sending domain. */
  readonly allowedSender?: string;
  /** HERALD_SEND_TIMEOUT_SECONDS: the send-notification function's timeout. */
  readonly sendTimeoutSeconds?: number;
}

export function deploymentFactsFrom(env: Readonly<NodeJS.ProcessEnv>): DeploymentFacts {
  const allowedSender = env[ALLOWED_SENDER_ENV]?.trim().toLowerCase();
  const sendTimeout = Number(env[SEND_TIMEOUT_ENV] ?? Number.NaN);
  return {
    ...(allowedSender ? { allowedSender } : {}),
    ...(Number.isInteger(sendTimeout) && sendTimeout > 0 ? { sendTimeoutSeconds: sendTimeout } : {}),
  };
}

/** Whether the deployment may send as `address`: the same address, or one in the domain. */
export function maySendAs(facts: DeploymentFacts, address: string): boolean {
  const allowed = facts.allowedSender;
  if (allowed === undefined) return true;
  const from = address.trim().toLowerCase();
  if (allowed.includes("@")) return from === allowed;
  const domain = from.slice(from.lastIndexOf("@") + 1);
  return domain === allowed || domain.endsWith(`.${allowed}`);
}
