import { MASKED_SECRET } from "../constants.ts";
import { SETTINGS, getSetting, setSetting, type HeraldSettings } from "./model.ts";

/** A copy safe to print: every secret set is shown as Mattermost's 32 asterisks. */
export function sanitizeSettings(settings: HeraldSettings): HeraldSettings {
  const copy = structuredClone(settings);
  for (const def of SETTINGS) {
    if (def.secret && getSetting(copy, def) !== "") setSetting(copy, def, MASKED_SECRET);
  }
  return copy;
}
