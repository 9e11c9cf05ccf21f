import { envVarName } from "../../constants.ts";
import { SECTIONS, SETTINGS, settingPaths } from "../model.ts";
import { addSettingValues, emptyLayer, type RawValue, type SettingsLayer } from "../layer.ts";
import type { Problem } from "../problems.ts";
import { closestName } from "../suggest.ts";

/** Every variable Herald reads: each setting's documented path and its aliases. */
const KNOWN_NAMES: readonly string[] = SETTINGS.flatMap((def) => settingPaths(def).map(envVarName));
const KNOWN = new Set(KNOWN_NAMES);
/** `MM_EMAILSETTINGS_`, ...: the sections Herald reads from. */
const SECTION_PREFIXES = SECTIONS.map((section) => `MM_${section.toUpperCase()}_`);

/**
 * Mattermost's environment overrides: `MM_` + section + `_` + setting, upper case, for each
 * setting's documented path and its aliases.
 */
export function readEnvLayer(env: NodeJS.ProcessEnv): SettingsLayer {
  const layer = emptyLayer();
  for (const def of SETTINGS) {
    const given: RawValue[] = [];
    for (const path of settingPaths(def)) {
      const name = envVarName(path);
      const raw = env[name];
      if (raw !== undefined) given.push({ path, raw, origin: { source: "env", location: name } });
    }
    if (given.length > 0) addSettingValues(layer, def, given);
  }
  layer.problems.push(...unknownVariables(env));
  return layer;
}

/**
 * A variable in one of Herald's sections that is not a setting: a typo such as
 * MM_EMAILSETTINGS_SMTPSERVR would otherwise be ignored without a word (as the same typo in an
 * event's `settings` is not). A warning, since Mattermost's other settings may share the shell.
 */
function unknownVariables(env: NodeJS.ProcessEnv): Problem[] {
  return Object.keys(env)
    .filter((name) => SECTION_PREFIXES.some((prefix) => name.startsWith(prefix)) && !KNOWN.has(name))
    .sort()
    .map((name) => {
      const suggestion = closestName(name, KNOWN_NAMES);
      return {
        setting: name,
        severity: "warning",
        code: "EUNKNOWNSETTING",
        message: `environment variable ${name} is not a setting Herald reads; it was ignored`,
        fix: suggestion
          ? `did you mean ${suggestion}?`
          : "use the variable names in the settings table of docs/settings.md; ignore this if it is one of Mattermost's own settings",
        source: "env",
      };
    });
}
