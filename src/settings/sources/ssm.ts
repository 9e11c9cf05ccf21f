import type { SSMClient } from "@aws-sdk/client-ssm";
import { SSMProvider } from "@aws-lambda-powertools/parameters/ssm";
import { normalizePrefixPath, parameterName } from "../../constants.ts";
import { SETTINGS, settingPaths, type SettingDefinition } from "../model.ts";
import { addSettingValues, emptyLayer, type RawValue, type SettingsLayer } from "../layer.ts";

export interface SsmSourceOptions {
  prefix: string;
  /** The runtime's client (its region, credentials and timeouts). */
  client: SSMClient;
  /**
   * How long a warm container reuses what it read. Settings change rarely and every cold
   * start reads them afresh; a short cache lets an operator's change apply within minutes.
   * @default 300 (5 minutes)
   */
  maxAgeSeconds?: number;
}

// One Powertools provider (and so one cache) per client: per warm container in a Lambda.
const providers = new WeakMap<SSMClient, SSMProvider>();

function providerFor(client: SSMClient): SSMProvider {
  let provider = providers.get(client);
  if (!provider) {
    provider = new SSMProvider({ awsSdkV3Client: client });
    providers.set(client, provider);
  }
  return provider;
}

/**
 * Every parameter under the prefix, by full name: one recursive, decrypted, paginated
 * GetParametersByPath through Powertools Parameters, cached for `maxAge`. A failed read is
 * not cached, so the next invocation tries again.
 */
async function readParameters(options: SsmSourceOptions, prefix: string): Promise<Map<string, string>> {
  const values = await providerFor(options.client).getMultiple(prefix, {
    recursive: true,
    decrypt: true,
    maxAge: options.maxAgeSeconds ?? 300,
  });
  // Powertools names them relative to the prefix ("EmailSettings/SMTPServer").
  return new Map(
    Object.entries(values ?? {})
      .filter((entry): entry is [string, string] => typeof entry[1] === "string")
      .map(([name, value]) => [`${prefix}/${name}`, value]),
  );
}

/** Settings stored one parameter each under `<prefix>/<Section>/<Setting>`. Never throws. */
export async function readSsmLayer(options: SsmSourceOptions): Promise<SettingsLayer> {
  const layer = emptyLayer();
  const prefix = normalizePrefixPath(options.prefix);
  let parameters: Map<string, string>;
  try {
    parameters = await readParameters(options, prefix);
  } catch (error) {
    // Powertools wraps the SDK's error: name the cause (AccessDeniedException, ...).
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const name = cause instanceof Error ? cause.name : "Error";
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
  for (const [name, value] of parameters) {
    const known = byName.get(name);
    if (!known) {
      layer.problems.push({
        setting: name,
        severity: "warning",
        code: "EUNKNOWNSETTING",
        message: `SSM parameter ${name} is not a setting Herald knows; it was ignored`,
        fix: `name it ${prefix}/<Section>/<Setting>, e.g. ${prefix}/EmailSettings/SMTPServer, or delete it`,
        source: "ssm",
      });
      continue;
    }
    const values = given.get(known.def) ?? [];
    values.push({
      path: known.path,
      raw: value,
      origin: { source: "ssm", location: name },
    });
    given.set(known.def, values);
  }
  for (const [def, values] of given) addSettingValues(layer, def, values);
  return layer;
}
