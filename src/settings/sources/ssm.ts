import { paginateGetParametersByPath, SSMClient, type Parameter } from "@aws-sdk/client-ssm";
import { normalizePrefixPath, parameterName } from "../../constants.ts";
import { SETTINGS } from "../model.ts";
import { addRawValue, emptyLayer, type SettingsLayer } from "../layer.ts";

export interface SsmSourceOptions {
  prefix: string;
  /** @default a new SSMClient for the ambient region and credentials */
  client?: SSMClient;
  /**
   * How long a warm container reuses what it read. Settings change rarely and every cold
   * start reads them afresh; a short TTL lets an operator's change apply within minutes.
   * @default 300_000 (5 minutes)
   */
  cacheTtlMs?: number;
}

interface CacheEntry {
  expiresAt: number;
  parameters: Promise<Parameter[]>;
}

// Per warm container: one entry per prefix. The promise is cached so that concurrent
// loads share one read.
const cache = new Map<string, CacheEntry>();

/** Forget cached parameters (tests, or after writing new settings). */
export function clearSsmCache(): void {
  cache.clear();
}

/** All parameters under the prefix: one recursive, decrypted, paginated read. */
async function fetchParameters(client: SSMClient, prefix: string): Promise<Parameter[]> {
  const parameters: Parameter[] = [];
  const pages = paginateGetParametersByPath(
    { client },
    { Path: prefix, Recursive: true, WithDecryption: true },
  );
  for await (const page of pages) parameters.push(...(page.Parameters ?? []));
  return parameters;
}

function cachedParameters(prefix: string, options: SsmSourceOptions): Promise<Parameter[]> {
  const now = Date.now();
  const hit = cache.get(prefix);
  if (hit && hit.expiresAt > now) return hit.parameters;
  const parameters = fetchParameters(options.client ?? new SSMClient({}), prefix);
  cache.set(prefix, { expiresAt: now + (options.cacheTtlMs ?? 300_000), parameters });
  // A failed read is not cached: the next invocation tries again.
  parameters.catch(() => cache.delete(prefix));
  return parameters;
}

/** Settings stored one parameter each under `<prefix>/<Section>/<Setting>`. Never throws. */
export async function readSsmLayer(options: SsmSourceOptions): Promise<SettingsLayer> {
  const layer = emptyLayer();
  const prefix = normalizePrefixPath(options.prefix);
  let parameters: Parameter[];
  try {
    parameters = await cachedParameters(prefix, options);
  } catch (error) {
    const name = error instanceof Error ? error.name : "Error";
    layer.inputErrors.push({
      setting: "ssm",
      severity: "error",
      message: `cannot read SSM parameters under ${prefix} (${name})`,
      fix: `allow ssm:GetParametersByPath on ${prefix}/* and kms:Decrypt on its key, and check the region and credentials`,
      source: "ssm",
    });
    return layer;
  }
  const byName = new Map(SETTINGS.map((def) => [parameterName(prefix, def.path), def]));
  for (const parameter of parameters) {
    if (!parameter.Name || parameter.Value === undefined) continue;
    const def = byName.get(parameter.Name);
    if (!def) {
      layer.problems.push({
        setting: parameter.Name,
        severity: "warning",
        message: `SSM parameter ${parameter.Name} is not a setting Herald knows; it was ignored`,
        fix: `name it ${prefix}/<Section>/<Setting>, e.g. ${prefix}/EmailSettings/SMTPServer, or delete it`,
        source: "ssm",
      });
      continue;
    }
    addRawValue(layer, def, parameter.Value, { source: "ssm", location: parameter.Name });
  }
  return layer;
}
