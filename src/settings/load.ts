import { emptyLayer, type Origin, type SettingsLayer } from "./layer.ts";
import {
  DEFAULT_SMTP_SERVER,
  DEFAULT_SMTP_TIMEOUT_SECONDS,
  SETTINGS,
  setSetting,
  settingsSchema,
  type HeraldSettings,
} from "./model.ts";
import type { Problem } from "./problems.ts";
import { addConfigObject } from "./sources/config-object.ts";
import { readEnvLayer } from "./sources/env.ts";
import { readConfigFileLayer } from "./sources/file.ts";
import { readSsmLayer, type SsmSourceOptions } from "./sources/ssm.ts";

/**
 * Where settings come from. The runtime (src/runtime.ts) fills this from HERALD_CONFIG_FILE,
 * HERALD_PARAMETER_PREFIX and the CLI's flags; tests give it directly.
 */
export interface LoadSettingsOptions {
  /** The environment whose MM_* variables override the other sources. */
  env: Readonly<NodeJS.ProcessEnv>;
  /** A Mattermost-shaped config.json. @default none */
  configFile?: string;
  /** SSM parameters under a prefix, read with this client. @default none */
  ssm?: SsmSourceOptions | false;
  /** Values in config.json shape that replace the built-in defaults (a provider preset). */
  preset?: { config: unknown; name: string };
  /** Values in config.json shape above every other source (a Lambda event's `settings`). */
  overrides?: unknown;
}

export interface LoadedSettings {
  settings: HeraldSettings;
  /** Where each setting's value came from, by path. */
  origins: Map<string, Origin>;
  /** Values that could not be used (each named with its source). */
  problems: Problem[];
  /** Sources that could not be read at all. */
  inputErrors: Problem[];
}

/** Every setting at its default: the schema's defaults, then the derived ones. */
export function defaultSettings(): HeraldSettings {
  return mergeLayers([]).settings;
}

/**
 * Settings from every source, lowest precedence first: defaults < preset < config file <
 * SSM parameters < MM_* environment variables < overrides. Never throws: a source or value
 * that cannot be used is reported and the lower layers stay in force.
 */
export async function loadSettings(options: LoadSettingsOptions): Promise<LoadedSettings> {
  const layers: SettingsLayer[] = [];
  if (options.preset)
    layers.push(configLayer(options.preset.config, "preset", `preset ${options.preset.name}`));
  if (options.configFile) layers.push(await readConfigFileLayer(options.configFile));
  if (options.ssm) layers.push(await readSsmLayer(options.ssm));
  layers.push(readEnvLayer(options.env));
  if (options.overrides !== undefined)
    layers.push(configLayer(options.overrides, "override", "event settings"));
  return mergeLayers(layers);
}

function configLayer(config: unknown, source: "preset" | "override", location: string): SettingsLayer {
  const layer = emptyLayer();
  addConfigObject(layer, config, source, location);
  return layer;
}

export function mergeLayers(layers: SettingsLayer[]): LoadedSettings {
  // The schema's own defaults; EnableSMTPAuth stays unset until the derived defaults run.
  const settings = settingsSchema.parse({}) as HeraldSettings;
  const origins = new Map<string, Origin>(SETTINGS.map((def) => [def.path, { source: "default" }]));
  const problems: Problem[] = [];
  const inputErrors: Problem[] = [];
  for (const layer of layers) {
    for (const def of SETTINGS) {
      const entry = layer.entries.get(def.path);
      if (!entry) continue;
      setSetting(settings, def, entry.value);
      origins.set(def.path, entry.origin);
    }
    problems.push(...layer.problems);
    inputErrors.push(...layer.inputErrors);
  }
  applyDerivedDefaults(settings);
  return { settings, origins, problems, inputErrors };
}

/** Mattermost's SetDefaults rules that depend on other values or treat a zero as unset. */
function applyDerivedDefaults(settings: HeraldSettings): void {
  const email = settings.EmailSettings;
  if (email.SMTPServer === "") email.SMTPServer = DEFAULT_SMTP_SERVER;
  if (email.SMTPServerTimeout === 0) email.SMTPServerTimeout = DEFAULT_SMTP_TIMEOUT_SECONDS;
  if ((email.EnableSMTPAuth as boolean | undefined) === undefined) {
    email.EnableSMTPAuth = email.ConnectionSecurity !== "";
  }
}
