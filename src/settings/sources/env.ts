import { envVarName } from "../../constants.ts";
import { SETTINGS } from "../model.ts";
import { addRawValue, emptyLayer, type SettingsLayer } from "../layer.ts";

/** Mattermost's environment overrides: `MM_` + section + `_` + setting, upper case. */
export function readEnvLayer(env: NodeJS.ProcessEnv): SettingsLayer {
  const layer = emptyLayer();
  for (const def of SETTINGS) {
    const name = envVarName(def.path);
    const raw = env[name];
    if (raw === undefined) continue;
    addRawValue(layer, def, raw, { source: "env", location: name });
  }
  return layer;
}
