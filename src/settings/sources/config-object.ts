import { SECTIONS, SETTINGS, type SettingSource } from "../model.ts";
import { addRawValue, type SettingsLayer } from "../layer.ts";
import { describeValue } from "../problems.ts";

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Read settings out of an object in Mattermost's config.json shape
 * (`{ "EmailSettings": { ... }, "ServiceSettings": { ... } }`). Keys Herald does not use
 * (a full Mattermost config has many) are ignored; a section that is not an object is a
 * problem and the rest still loads.
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
      message: `${location} holds ${describeValue(config)}, not a JSON object`,
      fix: 'write a config.json object such as { "EmailSettings": { "SMTPServer": "..." } }',
      source,
    });
    return;
  }
  for (const section of SECTIONS) {
    const values = config[section];
    if (values === undefined || values === null) continue;
    if (!isPlainObject(values)) {
      layer.problems.push({
        setting: section,
        severity: "error",
        message: `${section} in ${location} is ${describeValue(values)}, not an object; its settings were ignored`,
        fix: `make ${section} an object of settings, as in examples/mattermost-config.json`,
        source,
      });
      continue;
    }
    for (const def of SETTINGS) {
      if (def.section !== section || !(def.key in values)) continue;
      addRawValue(layer, def, values[def.key], { source, location: `${location} ${def.path}` });
    }
  }
}
