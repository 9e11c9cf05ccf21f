import type { SettingDefinition } from "./model.ts";

export type Coerced =
  { ok: true; value: boolean | string | number } | { ok: false; expected: string; fix: string };

/**
 * Turn a raw value into the setting's type with the setting's own parser from the schema:
 * config.json gives JSON values, environment variables and SSM parameters give strings.
 */
export function coerceSettingValue(def: SettingDefinition, raw: unknown): Coerced {
  const parsed = def.parser.safeParse(raw);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, expected: def.expected, fix: def.fix };
}
