/**
 * The settings written out for a Mattermost server (`herald export`): as the MM_* variables it
 * reads (a systemd EnvironmentFile or a docker --env-file), as its config.json (a fragment, or
 * merged into an existing file), or as mmctl commands. Each setting goes under the path the
 * Mattermost server reads it from (the registry's serverPath).
 */
import { envVarName } from "../constants.ts";
import type { LoadedSettings } from "../settings/load.ts";
import { getSetting, SETTINGS, splitSettingPath, type SettingDefinition } from "../settings/model.ts";
import { HeraldError } from "../errors.ts";

export const EXPORT_FORMATS = ["env", "docker-env", "config", "mmctl"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportedSetting {
  def: SettingDefinition;
  /** config.json path the Mattermost server reads: "EmailSettings.SMTPServer" */
  path: string;
  /** its environment variable: "MM_EMAILSETTINGS_SMTPSERVER" */
  variable: string;
  value: boolean | string | number;
}

export interface ExportSelection {
  settings: ExportedSetting[];
  /** secret settings a source gave that were left out (no --include-password) */
  withheld: SettingDefinition[];
}

/**
 * The settings a source gave (a default is left to the Mattermost server, whose defaults
 * Herald's are), the secret ones only when asked for.
 */
export function selectExported(loaded: LoadedSettings, includeSecrets: boolean): ExportSelection {
  const settings: ExportedSetting[] = [];
  const withheld: SettingDefinition[] = [];
  for (const def of SETTINGS) {
    if (loaded.origins.get(def.path)?.source === "default") continue;
    if (def.secret && !includeSecrets) {
      withheld.push(def);
      continue;
    }
    const value = getSetting(loaded.settings, def) as ExportedSetting["value"];
    settings.push({ def, path: def.serverPath, variable: envVarName(def.serverPath), value });
  }
  return { settings, withheld };
}

/** A value a format cannot carry: the setting is named, its value never shown. */
export class UnexportableValueError extends HeraldError {
  override name = "UnexportableValueError";
  readonly code = "EEXPORTVALUE";
  constructor(setting: string, reason: string, hint: string) {
    super(`${setting} ${reason}`, { hint });
  }
}

const asText = (value: ExportedSetting["value"]) => String(value);

/** Characters any reader (systemd, docker, sh) takes literally without quotes. */
const PLAIN = /^[\w@%+=:,./-]*$/;

function rejectNul(setting: ExportedSetting, text: string): void {
  if (text.includes("\0")) {
    throw new UnexportableValueError(
      setting.path,
      "holds a NUL character, which no environment variable or command line can carry",
      `Remove the NUL character from ${setting.def.path}.`,
    );
  }
}

/**
 * A systemd EnvironmentFile, also sourceable by sh (`set -a; . FILE`): a value that needs it
 * is double-quoted with \ before " \ ` $, which both read back the same, line breaks included.
 */
function envLine(setting: ExportedSetting): string {
  const text = asText(setting.value);
  rejectNul(setting, text);
  const quoted = PLAIN.test(text) ? text : `"${text.replace(/["\\`$]/g, "\\$&")}"`;
  return `${setting.variable}=${quoted}`;
}

/** docker --env-file takes everything after `=` literally, to the end of the line. */
function dockerEnvLine(setting: ExportedSetting): string {
  const text = asText(setting.value);
  rejectNul(setting, text);
  if (/[\r\n]/.test(text)) {
    throw new UnexportableValueError(
      setting.path,
      "has a line break, which docker --env-file cannot carry",
      "Use --format env (a systemd EnvironmentFile) or pass the variable with docker run -e.",
    );
  }
  return `${setting.variable}=${text}`;
}

/** A POSIX shell word: as it is when plain, else in single quotes. */
export function shellWord(text: string): string {
  return PLAIN.test(text) && text !== "" ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function mmctlLine(setting: ExportedSetting): string {
  const text = asText(setting.value);
  rejectNul(setting, text);
  return `mmctl config set ${setting.path} ${shellWord(text)}`;
}

/** The settings in config.json's shape: `{ "EmailSettings": { "SMTPServer": ... } }`. */
export function configFragment(
  settings: readonly ExportedSetting[],
): Record<string, Record<string, unknown>> {
  const config: Record<string, Record<string, unknown>> = {};
  for (const setting of settings) {
    const [section, key] = splitSettingPath(setting.path);
    (config[section] ??= {})[key] = setting.value;
  }
  return config;
}

const HEADER: Partial<Record<ExportFormat, string>> = {
  env: "# Mattermost's email settings from Herald (systemd EnvironmentFile; sh: set -a; . FILE)",
  "docker-env": "# Mattermost's email settings from Herald (docker --env-file)",
  mmctl: "# Mattermost's email settings from Herald: run with a logged-in mmctl",
};

/** The settings as the text of one format (config: the fragment as JSON). */
export function formatExport(format: ExportFormat, settings: readonly ExportedSetting[]): string {
  if (format === "config") return `${JSON.stringify(configFragment(settings), null, 2)}\n`;
  const line = { env: envLine, "docker-env": dockerEnvLine, mmctl: mmctlLine }[format];
  return `${[HEADER[format], ...settings.map(line)].join("\n")}\n`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A config.json that cannot take the settings (not JSON, not an object, a section that is not one). */
export class ConfigShapeError extends HeraldError {
  override name = "ConfigShapeError";
  readonly code = "ECONFIGFILE";
  constructor(problem: string) {
    super(problem, { hint: "Give --merge the Mattermost config.json (a JSON object of sections)." });
  }
}

/**
 * An existing Mattermost config.json with the settings set in it: every other key, and the
 * order of the keys, stay as they are. The indentation of the file is kept.
 */
export function mergeIntoConfig(text: string, settings: readonly ExportedSetting[]): string {
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    // V8's message quotes the text around the error, which may be a password: not repeated.
    throw new ConfigShapeError("is not valid JSON (check it with `jq . FILE`)");
  }
  if (!isPlainObject(config)) throw new ConfigShapeError("is not a JSON object");
  for (const [section, values] of Object.entries(configFragment(settings))) {
    const existing = config[section] ?? {};
    if (!isPlainObject(existing)) throw new ConfigShapeError(`has ${section} that is not an object`);
    config[section] = Object.assign(existing, values);
  }
  const indent = /^\{\r?\n([ \t]+)/.exec(text)?.[1] ?? "  ";
  return `${JSON.stringify(config, null, indent)}${text.endsWith("\n") ? "\n" : ""}`;
}
