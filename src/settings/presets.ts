import type { ConnectionSecurity } from "./model.ts";

/** Provider presets from the SMTP setup guide. */
export interface Preset {
  name: string;
  description: string;
  /** Host; `{region}` is replaced by the AWS region. */
  server: string;
  port: number;
  connectionSecurity: ConnectionSecurity;
  auth: boolean;
  note?: string;
}

export const PRESETS: readonly Preset[] = [
  {
    name: "amazon-ses",
    description: "Amazon SES SMTP interface",
    server: "email-smtp.{region}.amazonaws.com",
    port: 465,
    connectionSecurity: "TLS",
    auth: true,
    note: "587 with STARTTLS also works; the username is the access key id and the password is derived per region",
  },
  {
    name: "postfix",
    description: "a local Postfix relay",
    server: "localhost",
    port: 25,
    connectionSecurity: "",
    auth: false,
  },
  {
    name: "gmail",
    description: "Gmail / Google Workspace",
    server: "smtp.gmail.com",
    port: 587,
    connectionSecurity: "STARTTLS",
    auth: true,
  },
  {
    name: "hotmail",
    description: "Outlook.com / Hotmail",
    server: "smtp-mail.outlook.com",
    port: 587,
    connectionSecurity: "STARTTLS",
    auth: true,
  },
  {
    name: "office365",
    description: "Microsoft 365",
    server: "smtp.office365.com",
    port: 587,
    connectionSecurity: "STARTTLS",
    auth: true,
  },
];

export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((preset) => preset.name === name.trim().toLowerCase());
}

/** The preset's values in config.json shape, ready to be read as a settings layer. */
export function presetConfig(preset: Preset, region: string): { EmailSettings: Record<string, unknown> } {
  return {
    EmailSettings: {
      SMTPServer: preset.server.replace("{region}", region),
      SMTPPort: String(preset.port),
      ConnectionSecurity: preset.connectionSecurity,
      EnableSMTPAuth: preset.auth,
    },
  };
}
