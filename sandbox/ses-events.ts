/**
 * SES event publishing records, shaped as SES puts them on EventBridge, for messages the
 * sandbox (or a test) sent: the SES emulator emits no events, so these stand in for SES's
 * Send, Delivery, DeliveryDelay, Bounce, Complaint and Reject, tagged as Herald tags a message.
 */
import { notificationIdTags } from "../src/ses/message-tags.ts";

export interface SesEventInput {
  /** the notification id (tagged as the send path tags it) */
  id: string;
  /** SES's message id */
  sesMessageId: string;
  /** ISO time SES accepted the message (mail.timestamp) */
  sentAt: string;
  /** the message's destination */
  destination: string[];
  /** the recipients this event is about. @default destination */
  recipients?: string[];
  /** ISO time of the event. @default sentAt */
  at?: string;
  configurationSet?: string;
}

export type SesEventKind =
  | "Send"
  | "Delivery"
  | "DeliveryDelay"
  | "Bounce"
  | "Complaint"
  | "Reject"
  | { bounce: { type: string; subType: string; diagnosticCode: string } };

const DETAIL_TYPES: Record<string, string> = {
  Send: "Email Sent",
  Delivery: "Email Delivered",
  DeliveryDelay: "Email Delivery Delayed",
  Bounce: "Email Bounced",
  Complaint: "Email Complaint Received",
  Reject: "Email Rejected",
};

/** One SES event on the default bus around its event publishing record. */
export function sesEvent(kind: SesEventKind, input: SesEventInput): Record<string, unknown> {
  const recipients = input.recipients ?? input.destination;
  const at = input.at ?? input.sentAt;
  const tags = Object.fromEntries(
    Object.entries({
      ...notificationIdTags(input.id),
      "ses:configuration-set": input.configurationSet ?? "herald",
    }).map(([name, value]) => [name, [value]]),
  );
  const mail = {
    timestamp: input.sentAt,
    messageId: input.sesMessageId,
    destination: input.destination,
    tags,
  };
  const bounce =
    typeof kind === "object"
      ? kind.bounce
      : { type: "Permanent", subType: "General", diagnosticCode: "smtp; 550 5.1.1 user unknown" };
  const eventType = typeof kind === "object" ? "Bounce" : kind;
  const detail: Record<string, unknown> = { eventType, mail };
  switch (eventType) {
    case "Send":
      detail.send = {};
      break;
    case "Delivery":
      detail.delivery = { timestamp: at, recipients, processingTimeMillis: 0, smtpResponse: "250 2.0.0 OK" };
      break;
    case "DeliveryDelay":
      detail.deliveryDelay = {
        timestamp: at,
        delayType: "MailboxFull",
        delayedRecipients: recipients.map((emailAddress) => ({ emailAddress, status: "4.2.2" })),
      };
      break;
    case "Bounce":
      detail.bounce = {
        timestamp: at,
        bounceType: bounce.type,
        bounceSubType: bounce.subType,
        feedbackId: `${input.sesMessageId}-bounce`,
        bouncedRecipients: recipients.map((emailAddress) => ({
          emailAddress,
          action: "failed",
          diagnosticCode: bounce.diagnosticCode,
        })),
      };
      break;
    case "Complaint":
      detail.complaint = {
        timestamp: at,
        complaintFeedbackType: "abuse",
        feedbackId: `${input.sesMessageId}-complaint`,
        complainedRecipients: recipients.map((emailAddress) => ({ emailAddress })),
      };
      break;
    case "Reject":
      detail.reject = { reason: "Bad content" };
      break;
  }
  return {
    version: "0",
    id: `${input.sesMessageId}-${eventType}-${at}`,
    "detail-type": DETAIL_TYPES[eventType],
    source: "aws.ses",
    time: at,
    detail,
  };
}
