import {
  SECTIONS,
  SETTINGS,
  SETTINGS_BY_ANY_PATH,
  settingPaths,
  splitSettingPath,
  type SettingSource,
} from "../model.ts";
import { addSettingValues, type RawValue, type SettingsLayer } from "../layer.ts";
import { describeValue } from "../problems.ts";
import { closestName } from "../suggest.ts";

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Sources whose keys are all meant for Herald: a key it does not know there is a typo, not
 * one of the many other settings of a full Mattermost config.json.
 */
const STRICT_SOURCES: ReadonlySet<SettingSource> = new Set(["override", "preset"]);

/**
 * Read settings out of an object in Mattermost's config.json shape
 * (`{ "EmailSettings": { ... }, "ServiceSettings": { ... } }`), each under its documented
 * path or an alias. Keys Herald does not use are ignored in a config file (a full Mattermost
 * config has many) and are warnings in an event's settings (a typo there would silently
 * test the saved settings instead). A section that is not an object is a problem and the
 * rest still loads.
 */
export function addConfigObject(
  layer: SettingsLayer,
  config: unknown,
  source: SettingSource,
  location: string,
): void {
  if (!isPlainObject(config)) {
    layer.inputErrors.push({
      setting: "config",
      severity: "error",
      code: "ECONFIG",
      message: `${location} holds ${describeValue(config)}, not a JSON object`,
      fix: 'write a config.json object such as { "EmailSettings": { "SMTPServer": "..." } }',
      source,
    });
    return;
  }
  const usableSections = new Set<string>();
  for (const section of SECTIONS) {
    const values = config[section];
    if (values === undefined || values === null) continue;
    if (!isPlainObject(values)) {
      layer.problems.push({
        setting: section,
        severity: "error",
        code: "ECONFIG",
        message: `${section} in ${location} is ${describeValue(values)}, not an object; its settings were ignored`,
        fix: `make ${section} an object of settings, as in examples/mattermost-config.json`,
        source,
      });
      continue;
    }
    usableSections.add(section);
  }
  for (const def of SETTINGS) {
    const given: RawValue[] = [];
    for (const path of settingPaths(def)) {
      const [section, key] = splitSettingPath(path);
      const values = usableSections.has(section) ? (config[section] as Record<string, unknown>) : undefined;
      if (values && Object.hasOwn(values, key)) {
        given.push({ path, raw: values[key], origin: { source, location: `${location} ${path}` } });
      }
    }
    if (given.length > 0) addSettingValues(layer, def, given);
  }
  if (STRICT_SOURCES.has(source)) reportUnknownKeys(layer, config, usableSections, source, location);
}

function reportUnknownKeys(
  layer: SettingsLayer,
  config: Record<string, unknown>,
  usableSections: ReadonlySet<string>,
  source: SettingSource,
  location: string,
): void {
  const unknown: string[] = [];
  for (const [section, values] of Object.entries(config)) {
    if (!(SECTIONS as readonly string[]).includes(section)) {
      unknown.push(section);
      continue;
    }
    if (!usableSections.has(section)) continue;
    for (const key of Object.keys(values as object)) {
      if (!SETTINGS_BY_ANY_PATH.has(`${section}.${key}`)) unknown.push(`${section}.${key}`);
    }
  }
  const knownPaths = [...SETTINGS_BY_ANY_PATH.keys()];
  for (const path of unknown) {
    const suggestion = path.includes(".") ? suggestSetting(path, knownPaths) : closestName(path, SECTIONS);
    layer.problems.push({
      setting: path,
      severity: "warning",
      code: "EUNKNOWNSETTING",
      message: `${path} in ${location} is not a setting Herald knows; it was ignored`,
      fix: suggestion
        ? `did you mean ${suggestion}?`
        : "use the names in the settings table of docs/settings.md, e.g. EmailSettings.SMTPServer",
      source,
    });
  }
}

/** The known path whose key is closest to the unknown one's, preferring its own section. */
function suggestSetting(path: string, knownPaths: readonly string[]): string | undefined {
  const [section, key] = splitSettingPath(path);
  const sameSection = knownPaths.filter((known) => splitSettingPath(known)[0] === section);
  const inSection = closestName(
    key,
    sameSection.map((known) => splitSettingPath(known)[1]),
  );
  if (inSection) return `${section}.${inSection}`;
  // The right key in the wrong section: EmailSettings.SiteURL for ServiceSettings.SiteURL.
  const keys = knownPaths.map((known) => splitSettingPath(known)[1]);
  const elsewhere = closestName(key, keys);
  return elsewhere ? knownPaths[keys.indexOf(elsewhere)] : undefined;
}
