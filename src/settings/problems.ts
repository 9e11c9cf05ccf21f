import type { SettingSource } from "./model.ts";

export type Severity = "error" | "warning";

/** One finding about the settings: what, how bad, and how to fix it. */
export interface Problem {
  /** "EmailSettings.ConnectionSecurity" (or the section / source for whole-file problems) */
  setting: string;
  severity: Severity;
  /** A stable name of the rule or check that found it, e.g. "ECLEARTEXTAUTH". */
  code?: string;
  message: string;
  fix: string;
  source?: SettingSource;
}

/** Describe a value for a message without ever reproducing more than a short prefix of it. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") {
    const shown = value.length > 60 ? `${value.slice(0, 60)}...` : value;
    return JSON.stringify(shown);
  }
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return String(value);
}
