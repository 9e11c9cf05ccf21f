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

/** One raw value a source gives for a setting, under its documented path or an alias. */
export interface RawValue {
  /** the path it was given under: the setting's own, or one of its aliases */
  path: string;
  raw: unknown;
  origin: Origin;
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
  addSettingValues(layer, def, [{ path: def.path, raw, origin }]);
}

/**
 * Put a setting's value into the layer from everything one source gave for it: under its
 * documented path and under its aliases. The documented path wins; a different value under
 * an alias is a warning naming both. Values that do not parse are reported where they came
 * from, and the lower layers' value stays in force.
 */
export function addSettingValues(
  layer: SettingsLayer,
  def: SettingDefinition,
  given: readonly RawValue[],
): void {
  const parsed = given.map((value) => ({ ...value, coerced: coerceSettingValue(def, value.raw) }));
  for (const value of parsed) {
    if (value.coerced.ok) continue;
    const where = value.origin.location ?? value.path;
    const shown = def.secret ? "a hidden value" : describeValue(value.raw);
    layer.problems.push({
      setting: def.path,
      severity: "error",
      code: "EVALUE",
      message: `${where} is ${shown}, not ${value.coerced.expected}; the value was ignored`,
      fix: `${value.coerced.fix} in ${where}`,
      source: value.origin.source,
    });
  }
  const winner = parsed.find((value) => value.path === def.path) ?? parsed.find((value) => value.coerced.ok);
  if (!winner?.coerced.ok) return;
  const chosen = winner.coerced.value;
  layer.entries.set(def.path, { value: chosen, origin: winner.origin });
  for (const other of parsed) {
    if (other === winner || !other.coerced.ok || other.coerced.value === chosen) continue;
    const shown = (value: unknown) => (def.secret ? "a hidden value" : describeValue(value));
    layer.problems.push({
      setting: def.path,
      severity: "warning",
      code: "EALIAS",
      message: `${describeLocation(winner)} is ${shown(chosen)} but ${describeLocation(other)} is ${shown(other.coerced.value)}; ${winner.path} is used`,
      fix: `remove ${other.path} (an alias of ${def.path}), or give both the same value`,
      source: winner.origin.source,
    });
  }
}

/** "MM_EMAILSETTINGS_ENABLESECURITYFIXALERT", "config.json EmailSettings.X": both name the path. */
function describeLocation(value: RawValue): string {
  return value.origin.location ?? value.path;
}
