import { coerceSettingValue } from "./coerce.ts";
import type { SettingDefinition, SettingSource } from "./model.ts";
import { describeValue, type Problem } from "./problems.ts";

/** Where one value came from: the source, and the file, variable or parameter within it. */
export interface Origin {
  source: SettingSource;
  /** "MM_EMAILSETTINGS_SMTPPORT", "/herald/EmailSettings/SMTPPort", "config.json" */
  location?: string;
}

export interface LayerEntry {
  value: boolean | string | number;
  origin: Origin;
}

/** The values one source supplies, plus what was wrong with the rest of it. */
export interface SettingsLayer {
  entries: Map<string, LayerEntry>;
  /** Values that could not be used: reported, and the lower layers' values stay in force. */
  problems: Problem[];
  /** The source itself could not be read (missing file, not JSON, SSM denied). */
  inputErrors: Problem[];
}

export function emptyLayer(): SettingsLayer {
  return { entries: new Map(), problems: [], inputErrors: [] };
}

/** Coerce one raw value into the layer, or record a problem naming where it came from. */
export function addRawValue(
  layer: SettingsLayer,
  def: SettingDefinition,
  raw: unknown,
  origin: Origin,
): void {
  const coerced = coerceSettingValue(def, raw);
  if (coerced.ok) {
    layer.entries.set(def.path, { value: coerced.value, origin });
    return;
  }
  const where = origin.location ?? def.path;
  const shown = def.secret ? "a hidden value" : describeValue(raw);
  layer.problems.push({
    setting: def.path,
    severity: "error",
    message: `${where} is ${shown}, not ${coerced.expected}; the value was ignored`,
    fix: `${coerced.fix} in ${where}`,
    source: origin.source,
  });
}
