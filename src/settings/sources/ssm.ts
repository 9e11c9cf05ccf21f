import { paginateGetParametersByPath, SSMClient, type Parameter } from "@aws-sdk/client-ssm";
import { normalizePrefixPath, parameterName } from "../../constants.ts";
import { SETTINGS, settingPaths, type SettingDefinition } from "../model.ts";
import { addSettingValues, emptyLayer, type RawValue, type SettingsLayer } from "../layer.ts";

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
  // Each setting is stored under its documented path; an alias's parameter is read too.
  const byName = new Map(
    SETTINGS.flatMap((def) => settingPaths(def).map((path) => [parameterName(prefix, path), { def, path }])),
  );
  const given = new Map<SettingDefinition, RawValue[]>();
  for (const parameter of parameters) {
    if (!parameter.Name || parameter.Value === undefined) continue;
    const known = byName.get(parameter.Name);
    if (!known) {
      layer.problems.push({
        setting: parameter.Name,
        severity: "warning",
        code: "EUNKNOWNSETTING",
        message: `SSM parameter ${parameter.Name} is not a setting Herald knows; it was ignored`,
        fix: `name it ${prefix}/<Section>/<Setting>, e.g. ${prefix}/EmailSettings/SMTPServer, or delete it`,
        source: "ssm",
      });
      continue;
    }
    const values = given.get(known.def) ?? [];
    values.push({
      path: known.path,
      raw: parameter.Value,
      origin: { source: "ssm", location: parameter.Name },
    });
    given.set(known.def, values);
  }
  for (const [def, values] of given) addSettingValues(layer, def, values);
  return layer;
}
