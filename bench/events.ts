/**
 * What the benchmarks send: notification events like examples/notifications.ndjson's
 * mention (HTML body, text derived from it, category, one-click unsubscribe, one recipient),
 * and the settings (MM_* variables) for a loopback server. Only Node built-ins: the memory
 * worker bundles this file, and nothing of Herald's may load in it besides the handler.
 */
import { dirname } from "node:path";

/** High enough that the client-side rate limit never waits (the default is SES's 14/s). */
export const UNLIMITED_SEND_RATE = "100000";

export function notificationEvent(i: number): Record<string, unknown> {
  return {
    id: `bench-${i}`,
    to: [`user${i % 500}@example.com`],
    subject: `Alice mentioned you in Town Square (${i})`,
    html:
      `<p><b>Alice</b> mentioned you in <b>Town Square</b>:</p>` +
      `<blockquote>@user${i % 500} can you review the release notes before Friday? ` +
      `The draft is in the usual place; the changelog needs the new SMTP timeout ` +
      `behaviour and the notification pipeline's retry rules.</blockquote>` +
      `<p><a href="https://chat.example.com/team/pl/${i}">Open the conversation</a></p>` +
      `<p style="color:#888">You get this email because you were mentioned. ` +
      `<a href="https://chat.example.com/settings/notifications">Notification settings</a></p>`,
    category: "mention",
    unsubscribeUrl: `https://chat.example.com/unsubscribe?token=u${i % 500}`,
  };
}

export function notificationEvents(count: number): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => notificationEvent(i));
}

/** Settings for a clear-text loopback SMTP server, as a CLI or Lambda reads them (MM_*). */
export function smtpSettingsEnv(port: number): Record<string, string> {
  return {
    MM_EMAILSETTINGS_SMTPSERVER: "127.0.0.1",
    MM_EMAILSETTINGS_SMTPPORT: String(port),
    MM_EMAILSETTINGS_CONNECTIONSECURITY: "",
    MM_EMAILSETTINGS_ENABLESMTPAUTH: "false",
    MM_EMAILSETTINGS_FEEDBACKNAME: "Example Chat",
    MM_EMAILSETTINGS_FEEDBACKEMAIL: "notifications@example.com",
    MM_EMAILSETTINGS_REPLYTOADDRESS: "support@example.com",
    MM_SERVICESETTINGS_SITEURL: "https://chat.example.com",
    MM_TEAMSETTINGS_SITENAME: "Example Chat",
  };
}

/** Node 24 (the one running the benchmark) first on PATH: `herald` starts with `env node`. */
export function childPath(): string {
  return `${dirname(process.execPath)}:/usr/bin:/bin`;
}
