import type { HeraldSettings } from "../settings/model.ts";
import type { OutgoingMessage } from "./message.ts";
import { composeMessage, prefixedSubject } from "./compose.ts";

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Mattermost's "Test Connection" email: subject `[SiteName] Testing Email Settings`, and a
 * body that says which server, port and security delivered it (never the password).
 */
export function composeTestEmail(settings: HeraldSettings, to: string): Promise<OutgoingMessage> {
  const email = settings.EmailSettings;
  const lines = [
    "Your email settings work: this message was sent by Herald's Test Connection.",
    "",
    `SMTP server: ${email.SMTPServer}`,
    `Port: ${email.SMTPPort}`,
    `Connection security: ${email.ConnectionSecurity === "" ? "none" : email.ConnectionSecurity}`,
    `Authentication: ${email.EnableSMTPAuth ? `yes, as ${email.SMTPUsername}` : "no"}`,
  ];
  if (email.FeedbackOrganization) lines.push("", `Sent by ${email.FeedbackOrganization}`);
  const html = `<p>${lines.map(escapeHtml).join("<br>\n")}</p>`;
  return composeMessage(settings, {
    to: [to],
    subject: prefixedSubject(settings, "Testing Email Settings"),
    text: `${lines.join("\n")}\n`,
    html,
  });
}
