import { envVarName } from "../../constants.ts";
import { SETTINGS, settingPaths } from "../model.ts";
import { addSettingValues, emptyLayer, type RawValue, type SettingsLayer } from "../layer.ts";

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
  return layer;
}
