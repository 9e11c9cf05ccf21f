// Deployment configuration (DESIGN.md section 9): the cdk.json context keys, or `-c key=value`,
// that the stack uses, checked once so that a typo fails `cdk synth` rather than a deployed Lambda.
import type { Node } from "constructs";
import {
  DEFAULT_PARAMETER_PREFIX,
  DEFAULT_TRANSPORT,
  normalizePrefixPath,
  TRANSPORTS,
  type Transport,
} from "../src/constants.ts";

export { DEFAULT_TRANSPORT, TRANSPORTS, type Transport };

/** The context keys read by {@link readHeraldContext}. */
export const CONTEXT_KEYS = { parameterPrefix: "parameterPrefix", transport: "transport" } as const;

export interface HeraldContext {
  readonly parameterPrefix: string;
  readonly transport: Transport;
}

/**
 * The SSM path the settings live under, as `GetParametersByPath` and IAM want it: one leading
 * slash, no trailing slash (`herald/` becomes `/herald`). Throws on a name SSM would refuse.
 */
export function normalizeParameterPrefix(value: string): string {
  const prefix = normalizePrefixPath(value);
  if (!/^(\/[A-Za-z0-9_.-]+)+$/.test(prefix)) {
    throw new Error(
      `parameterPrefix ${JSON.stringify(value)} is not an SSM path: use segments of letters, digits, ` +
        `"_", "." and "-", e.g. ${DEFAULT_PARAMETER_PREFIX}`,
    );
  }
  // SSM refuses names that begin with "aws" or "ssm", in any case.
  if (/^\/(aws|ssm)/i.test(prefix)) {
    throw new Error(
      `parameterPrefix ${prefix} is reserved by AWS: pick another, e.g. ${DEFAULT_PARAMETER_PREFIX}`,
    );
  }
  return prefix;
}

export function parseTransport(value: string): Transport {
  const transport = TRANSPORTS.find((t) => t === value.trim());
  if (!transport) {
    throw new Error(`transport ${JSON.stringify(value)} is not one of ${TRANSPORTS.join(", ")}`);
  }
  return transport;
}

function stringContext(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string")
    throw new Error(`context ${key} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

/** Reads `parameterPrefix` (default `/herald`) and `transport` (default `ses-smtp`). */
export function readHeraldContext(node: Node): HeraldContext {
  return {
    parameterPrefix: normalizeParameterPrefix(
      stringContext(node, CONTEXT_KEYS.parameterPrefix) ?? DEFAULT_PARAMETER_PREFIX,
    ),
    transport: parseTransport(stringContext(node, CONTEXT_KEYS.transport) ?? DEFAULT_TRANSPORT),
  };
}
