/**
 * What the sandbox shows, as data: the settings it writes, the faults its SMTP server injects,
 * the notification events it sends and the bulletins its security feed lists. The flow
 * (flow.ts) runs them through the real handlers; the tests read the same names.
 */
import { randomUUID } from "node:crypto";
import type { RecipientFault } from "./servers/smtp.ts";
import type { FeedEntry } from "./servers/feed.ts";

export const SITE_NAME = "Herald Sandbox";
export const TEST_RECIPIENT = "you@example.com";
export const SMTP_USERNAME = "herald-sandbox";
export const TABLE_NAME = "herald-sandbox";
export const REGION = "eu-west-1";

/** Answered 451 on its first RCPT TO, accepted when SQS delivers the event again. */
export const BUSY_RECIPIENT = "busy@example.com";
/** Answered 550 5.1.1 every time: the event goes to the dead-letter queue. */
export const UNKNOWN_RECIPIENT = "nobody@example.com";

export const RECIPIENT_FAULTS: RecipientFault[] = [
  { address: BUSY_RECIPIENT, code: 451, message: "4.3.0 Mailbox busy, try again later", times: 1 },
  {
    address: UNKNOWN_RECIPIENT,
    code: 550,
    message: `5.1.1 <${UNKNOWN_RECIPIENT}>: Recipient address rejected: User unknown`,
  },
];

/** The settings file's content (Mattermost's config.json shape) for the local SMTP server. */
export function sandboxConfig(smtpPort: number, smtpPassword: string) {
  return {
    ServiceSettings: { SiteURL: "https://chat.example.com" },
    TeamSettings: { SiteName: SITE_NAME },
    EmailSettings: {
      SendEmailNotifications: true,
      FeedbackName: SITE_NAME,
      FeedbackEmail: "notifications@example.com",
      ReplyToAddress: "support@example.com",
      FeedbackOrganization: "Example Corp",
      // an address, not "localhost": no resolver is asked, and ::1 is never tried
      SMTPServer: "127.0.0.1",
      SMTPPort: String(smtpPort),
      EnableSMTPAuth: true,
      SMTPUsername: SMTP_USERNAME,
      SMTPPassword: smtpPassword,
      ConnectionSecurity: "STARTTLS",
      // the certificate is generated at start and trusted by the sandbox (and by NODE_EXTRA_CA_CERTS)
      SkipServerCertificateVerification: false,
      SMTPServerTimeout: 10,
      EnableSecurityFixAlert: true,
    },
  };
}

export interface Notification {
  id: string;
  to: string[];
  subject: string;
  text?: string;
  html?: string;
  category?: string;
  threadId?: string;
  unsubscribeUrl?: string;
}

/** The SQS body as the EventBridge rule delivers it: the event, detail inside. */
export function eventBridgeBody(detail: unknown, source = "com.example.chat"): string {
  return JSON.stringify({
    version: "0",
    id: randomUUID(),
    "detail-type": "Notification",
    source,
    account: "000000000000",
    time: new Date().toISOString(),
    region: REGION,
    resources: [],
    detail,
  });
}

export const WELCOME: Notification = {
  id: "sandbox-welcome-alice",
  to: ["alice@example.com"],
  subject: "Welcome to the team",
  text: "Hi Alice,\n\nYour account is ready. Sign in at https://chat.example.com to get started.\n",
  category: "welcome",
};

export const MENTION: Notification = {
  id: "sandbox-mention-8f3k2j",
  to: ["bob@example.com"],
  subject: "Alice mentioned you in Town Square",
  html:
    "<p><b>Alice</b> mentioned you in <b>Town Square</b>:</p><blockquote>@bob can you review the release notes before Friday?</blockquote>" +
    '<p><a href="https://chat.example.com/team/pl/8f3k2j">Open the conversation</a></p>',
  category: "mention",
  unsubscribeUrl: "https://chat.example.com/unsubscribe?token=b0b",
};

export const BUSY: Notification = {
  id: "sandbox-reminder-busy",
  to: [BUSY_RECIPIENT],
  subject: "Reminder: release review at 3 pm",
  html: "<p>The release review starts at <b>3 pm</b> in the usual room.</p>",
  category: "reminder",
};

export const UNKNOWN: Notification = {
  id: "sandbox-invite-nobody",
  to: [UNKNOWN_RECIPIENT],
  subject: "You have been invited to Herald Sandbox",
  text: "Join the team at https://chat.example.com/signup\n",
  category: "invite",
};

export const DIGEST: Notification = {
  id: "sandbox-digest-dave",
  to: ["dave@example.com"],
  subject: "Your daily digest: 3 unread messages",
  html: '<h1>3 unread messages</h1><ul><li>Town Square: 2</li><li>Off-Topic: 1</li></ul><p><a href="https://chat.example.com">Catch up</a></p>',
  category: "digest",
};

/** Refused before any send (an address that is not one): permanent, dead-lettered. */
export const INVALID = {
  id: "sandbox-invalid-address",
  to: ["not an address"],
  subject: "This event is invalid",
  text: "It never reaches a server.",
};

export const PRODUCT_VERSION = "9.11.2";
export const ADMINS = ["ops@example.com", "security@example.com"];
export const BULLETIN_ID = "MMSA-2026-00412";

export const BULLETINS: FeedEntry[] = [
  { id: BULLETIN_ID, applies_to_version: PRODUCT_VERSION },
  { id: "MMSA-2025-00398", applies_to_version: "<9.5.0" },
];

export const BULLETIN_BODIES: Record<string, string> = {
  [BULLETIN_ID]:
    `<h1>Security bulletin ${BULLETIN_ID}</h1><p>A fix for version <b>${PRODUCT_VERSION}</b> is available.` +
    " Upgrade to 9.11.3 or later.</p><p>Severity: <b>high</b>.</p>",
  "MMSA-2025-00398": "<p>An older bulletin that does not apply to this version.</p>",
};

/** Sent over SES for the status records: SES-shaped events follow (sandbox/feedback.ts). */
export const STATUS_DELIVERED: Notification = {
  id: "sandbox-status.delivered",
  to: ["dana@example.com"],
  subject: "Your export is ready",
  text: "Your export is ready to download.\n",
  category: "export",
};
export const STATUS_BOUNCED: Notification = {
  id: "sandbox-status.bounced",
  to: ["gone@example.com"],
  subject: "Password reset",
  text: "Use this link to reset your password.\n",
  category: "password-reset",
};
export const STATUS_DELAYED: Notification = {
  id: "sandbox-status.delayed",
  to: ["slow@example.com"],
  subject: "You were invited to Town Square",
  text: "Alice invited you to Town Square.\n",
  category: "invite",
};
export const STATUS_NOTIFICATIONS = [STATUS_DELIVERED, STATUS_BOUNCED, STATUS_DELAYED];
export const SANDBOX_BOUNCE = {
  type: "Permanent",
  subType: "General",
  diagnosticCode: "smtp; 550 5.1.1 <gone@example.com>: user unknown",
};
