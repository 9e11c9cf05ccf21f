import type { SettingDefinition } from "./model.ts";

export type Coerced =
  { ok: true; value: boolean | string | number } | { ok: false; expected: string; fix: string };

/**
 * Turn a raw value into the setting's type. Environment variables and SSM parameters are
 * always strings; config.json values are JSON. Booleans accept "true"/"false" in any case,
 * integers accept decimal strings, strings accept numbers (a port written as 587).
 */
export function coerceSettingValue(def: SettingDefinition, raw: unknown): Coerced {
  switch (def.kind) {
    case "bool": {
      if (typeof raw === "boolean") return { ok: true, value: raw };
      if (typeof raw === "string" && /^\s*(true|false)\s*$/i.test(raw)) {
        return { ok: true, value: raw.trim().toLowerCase() === "true" };
      }
      return { ok: false, expected: "a boolean", fix: "use true or false" };
    }
    case "int": {
      if (typeof raw === "number" && Number.isSafeInteger(raw)) return { ok: true, value: raw };
      if (typeof raw === "string" && /^\s*-?\d{1,15}\s*$/.test(raw))
        return { ok: true, value: Number(raw.trim()) };
      return { ok: false, expected: "an integer", fix: "use a whole number of seconds, such as 10" };
    }
    case "string": {
      if (typeof raw === "string") return { ok: true, value: normalizeString(def, raw) };
      if (typeof raw === "number" && Number.isFinite(raw)) return { ok: true, value: String(raw) };
      return { ok: false, expected: "a string", fix: `write ${def.path} as a JSON string` };
    }
  }
}

function normalizeString(def: SettingDefinition, raw: string): string {
  // Mattermost accepts "PLAIN" as a synonym of "" (no TLS).
  if (def.path === "EmailSettings.ConnectionSecurity" && raw === "PLAIN") return "";
  return raw;
}
