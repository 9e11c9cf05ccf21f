import * as z from "../zod.ts";

/**
 * The settings model: Mattermost's EmailSettings (plus the few ServiceSettings and
 * TeamSettings that mail depends on), with Mattermost's defaults from
 * `EmailSettings.SetDefaults`.
 */

/** Mattermost's accepted ConnectionSecurity values: "" is clear text, "TLS" implicit TLS. */
export const CONNECTION_SECURITY_VALUES = ["", "TLS", "STARTTLS"] as const;
export type ConnectionSecurity = (typeof CONNECTION_SECURITY_VALUES)[number];

/** The value as Mattermost reads it: "PLAIN" is a synonym of "" (no TLS). */
export function connectionSecurityOf(value: string): string {
  return value === "PLAIN" ? "" : value;
}

export function isConnectionSecurity(value: string): value is ConnectionSecurity {
  return (CONNECTION_SECURITY_VALUES as readonly string[]).includes(value);
}

/** Where a value came from, lowest precedence first. */
export type SettingSource = "default" | "preset" | "file" | "ssm" | "env" | "override";

export type SettingKind = "bool" | "string" | "int";

export const DEFAULT_SITE_NAME = "Herald";
export const DEFAULT_SMTP_SERVER = "localhost";
/** Mattermost's default sender and Reply-To: a placeholder no real server accepts mail from. */
export const PLACEHOLDER_ADDRESS = "test@example.com";
export const DEFAULT_SMTP_PORT = "10025";
export const DEFAULT_SMTP_TIMEOUT_SECONDS = 10;
/** An hour: far beyond any real server, and far below setTimeout's limit (about 24.8 days). */
export const MAX_SMTP_TIMEOUT_SECONDS = 3600;

/**
 * How each kind is read from any source. config.json gives JSON values; environment
 * variables and SSM parameters are always strings, so each kind also parses its string form.
 * `expected` and `fix` word the problem when a value does not parse (the value is then
 * ignored and the lower source's value stays in force).
 */
const KINDS = {
  bool: {
    schema: z.union([
      z.boolean(),
      z.pipe(
        z.string().check(z.trim()),
        // zod/mini declares stringbool's codec with unknown input and output; it reads a
        // string into a boolean
        z.stringbool({ truthy: ["true"], falsy: ["false"] }) as unknown as z.ZodMiniType<boolean, string>,
      ),
    ]),
    expected: "a boolean",
    fix: () => "use true or false",
  },
  int: {
    schema: z.union([
      z.int(),
      z.pipe(z.string().check(z.trim(), z.regex(/^-?\d{1,15}$/)), z.transform(Number)),
    ]),
    expected: "an integer",
    fix: () => "use a whole number of seconds, such as 10",
  },
  string: {
    // A port written as a JSON number (587) is the string "587", as in Mattermost.
    schema: z.union([z.string(), z.pipe(z.number(), z.transform(String))]),
    expected: "a string",
    fix: (path: string) => `write ${path} as a JSON string`,
  },
} as const;

/** What the schema carries beside each setting's parser and default. */
interface SettingMeta {
  kind: SettingKind;
  description: string;
  /** shown only as Mattermost's 32 asterisks; never logged or returned */
  secret?: boolean;
  /**
   * Other paths the setting is read from in every source (config file, SSM, MM_* variables,
   * event overrides). The documented path wins when a source gives both.
   */
  aliases?: readonly string[];
  /**
   * Where the Mattermost server itself reads the setting, when that is not the documented
   * path: what `herald export` and the ECS binding write. Also read as an alias.
   */
  serverPath?: string;
  /**
   * The setting decides where the saved SMTP password may be sent: unsaved settings that
   * change it ("change"), or turn it on ("enable"), need the password re-entered.
   */
  guardsPassword?: "change" | "enable";
}

type MetaOf = Omit<SettingMeta, "kind">;
const flag = (defaultValue: boolean, meta: MetaOf) =>
  z._default(KINDS.bool.schema, defaultValue).check(z.meta({ ...meta, kind: "bool" }));
const text = (defaultValue: string, meta: MetaOf) =>
  z._default(KINDS.string.schema, defaultValue).check(z.meta({ ...meta, kind: "string" }));
const seconds = (defaultValue: number, meta: MetaOf) =>
  z._default(KINDS.int.schema, defaultValue).check(z.meta({ ...meta, kind: "int" }));

/**
 * Every setting, once: its parser, its default (Mattermost's `SetDefaults`, except the
 * neutral SiteName) and what Herald needs to know about it. The TypeScript types, the
 * defaults, the parsing of env/SSM strings, the sanitized view and the docs/settings.md table (checked
 * by a test) all derive from this.
 *
 * ConnectionSecurity is read as any string and checked by validation, as Mattermost does:
 * an enum here would drop an unknown value ("SSL") and silently connect with the lower
 * source's security instead of refusing.
 */
export const settingsSchema = z.object({
  EmailSettings: z.prefault(
    z.object({
      SendEmailNotifications: flag(true, {
        description: "false: notifications are acknowledged and not sent",
      }),
      EnableSignUpWithEmail: flag(true, { description: "carried, not used for sending" }),
      EnableEmailInvitations: flag(false, { description: "carried, not used for sending" }),
      FeedbackName: text("", { description: "display name of the sender" }),
      FeedbackEmail: text(PLACEHOLDER_ADDRESS, { description: "sender address (From)" }),
      ReplyToAddress: text(PLACEHOLDER_ADDRESS, { description: "Reply-To address" }),
      FeedbackOrganization: text("", { description: 'footer "Sent by ..."' }),
      SMTPServer: text(DEFAULT_SMTP_SERVER, {
        description: 'SMTP host; "" means the default',
        guardsPassword: "change",
      }),
      SMTPPort: text(DEFAULT_SMTP_PORT, {
        description: "SMTP port, 1..65535",
        guardsPassword: "change",
      }),
      // No default of its own: it follows ConnectionSecurity (see applyDerivedDefaults).
      EnableSMTPAuth: z
        .optional(KINDS.bool.schema)
        .check(
          z.meta({ kind: "bool", description: 'default: false if ConnectionSecurity is "", else true' }),
        ),
      SMTPUsername: text("", {
        description: "SMTP user name (for Amazon SES: the access key id)",
        guardsPassword: "change",
      }),
      SMTPPassword: text("", {
        description: "SMTP password (secret; shown only as asterisks)",
        secret: true,
      }),
      ConnectionSecurity: z
        ._default(z.pipe(KINDS.string.schema, z.transform(connectionSecurityOf)), "")
        .check(
          z.meta({
            kind: "string",
            description: '"" (clear text), "TLS" (implicit) or "STARTTLS"',
            // Decides whether the password travels encrypted at all.
            guardsPassword: "change",
          }),
        ),
      SkipServerCertificateVerification: flag(false, {
        description: "do not verify the server certificate",
        // Without verification, anyone on the path can pose as the saved server.
        guardsPassword: "enable",
      }),
      SMTPServerTimeout: seconds(DEFAULT_SMTP_TIMEOUT_SECONDS, {
        description: `seconds for each SMTP stage, at most ${MAX_SMTP_TIMEOUT_SECONDS}; 0 means the default`,
      }),
      EnableSecurityFixAlert: flag(true, {
        description: "email security bulletins to the administrators",
        // Documented under EmailSettings (Mattermost's SMTP configuration reference); the
        // server's config model keeps it under ServiceSettings.
        serverPath: "ServiceSettings.EnableSecurityFixAlert",
      }),
    }),
    {},
  ),
  ServiceSettings: z.prefault(
    z.object({
      SiteURL: text("", { description: "its host is the EHLO name and the Message-ID domain" }),
    }),
    {},
  ),
  TeamSettings: z.prefault(
    z.object({
      SiteName: text(DEFAULT_SITE_NAME, { description: "subject prefix [SiteName]" }),
    }),
    {},
  ),
});

/** Loaded settings: every value present (the derived defaults fill in the optional ones). */
type Loaded<T> = { [S in keyof T]: { [K in keyof T[S]]-?: Exclude<T[S][K], undefined> } };

export type HeraldSettings = Loaded<z.output<typeof settingsSchema>>;
export type EmailSettings = HeraldSettings["EmailSettings"];
export type SectionName = keyof HeraldSettings;

export interface SettingDefinition extends Omit<SettingMeta, "aliases" | "secret" | "serverPath"> {
  section: SectionName;
  key: string;
  /** "EmailSettings.SMTPServer" */
  path: string;
  /** The default, or undefined where it depends on other settings (EnableSMTPAuth). */
  default: boolean | string | number | undefined;
  secret: boolean;
  aliases: readonly string[];
  /** Where the Mattermost server reads it (config.json path; its MM_* variable follows). */
  serverPath: string;
  /** Reads one raw value (JSON, or an env/SSM string) into the setting's type. */
  parser: z.ZodMiniType<boolean | string | number>;
  /** "a boolean": what a value that does not parse should have been */
  expected: string;
  /** how to write the value instead */
  fix: string;
}

export const SECTIONS = Object.keys(settingsSchema.shape) as SectionName[];

/** The schema's settings as a list, in the order they are declared. */
export const SETTINGS: readonly SettingDefinition[] = SECTIONS.flatMap((section) =>
  Object.entries(settingsSchema.shape[section].def.innerType.shape).map(([key, field]): SettingDefinition => {
    const meta = z.globalRegistry.get(field) as unknown as SettingMeta;
    const path = `${section}.${key}`;
    const inner = field.def.innerType as unknown as z.ZodMiniType<boolean | string | number>;
    const defaultValue =
      field instanceof z.ZodMiniDefault
        ? (field.def.defaultValue as SettingDefinition["default"])
        : undefined;
    return {
      section,
      key,
      path,
      kind: meta.kind,
      default: defaultValue,
      description: meta.description,
      secret: meta.secret ?? false,
      aliases: [...(meta.aliases ?? []), ...(meta.serverPath ? [meta.serverPath] : [])],
      serverPath: meta.serverPath ?? path,
      ...(meta.guardsPassword ? { guardsPassword: meta.guardsPassword } : {}),
      parser: inner,
      expected: KINDS[meta.kind].expected,
      fix: KINDS[meta.kind].fix(path),
    };
  }),
);

/** Where a source may give a setting: its documented path first, then its aliases. */
export function settingPaths(def: SettingDefinition): readonly string[] {
  return [def.path, ...def.aliases];
}

/** Every path a source may use (documented or alias), to its setting. */
export const SETTINGS_BY_ANY_PATH: ReadonlyMap<string, SettingDefinition> = new Map(
  SETTINGS.flatMap((def) => settingPaths(def).map((path) => [path, def] as const)),
);

/** "EmailSettings.SMTPServer" -> ["EmailSettings", "SMTPServer"] */
export function splitSettingPath(path: string): [section: string, key: string] {
  const dot = path.indexOf(".");
  return [path.slice(0, dot), path.slice(dot + 1)];
}

export function getSetting(settings: HeraldSettings, def: SettingDefinition): unknown {
  return (settings[def.section] as unknown as Record<string, unknown>)[def.key];
}

export function setSetting(settings: HeraldSettings, def: SettingDefinition, value: unknown): void {
  (settings[def.section] as unknown as Record<string, unknown>)[def.key] = value;
}
