// SES event publishing records (bounce, complaint, delivery, reject, delivery delay), as SES
// puts them on EventBridge, turned into one NotificationFeedback per recipient: what an
// application needs to react (stop mailing an address, flag a notification as undelivered).
import { createHash } from "node:crypto";
import * as z from "../zod.ts";
import { MESSAGE_TAG_CATEGORY } from "../constants.ts";
import { notificationIdFromTags } from "./message-tags.ts";

const optionalString = () => z.optional(z.string());

const recipient = z.object({
  emailAddress: z.string(),
  status: optionalString(),
  diagnosticCode: optionalString(),
});

/** The fields Herald reads; SES sends more, which are ignored. */
export const sesEventSchema = z.object({
  eventType: z.string(),
  mail: z.object({
    messageId: z.string(),
    timestamp: optionalString(),
    destination: z._default(z.array(z.string()), []),
    commonHeaders: z.optional(z.object({ messageId: optionalString() })),
    tags: z._default(z.record(z.string(), z.array(z.string())), {}),
  }),
  bounce: z.optional(
    z.object({
      bounceType: z.string(),
      bounceSubType: optionalString(),
      bouncedRecipients: z.array(recipient),
      timestamp: optionalString(),
    }),
  ),
  complaint: z.optional(
    z.object({
      complainedRecipients: z.array(recipient),
      complaintFeedbackType: optionalString(),
      complaintSubType: z.nullish(z.string()),
      timestamp: optionalString(),
    }),
  ),
  delivery: z.optional(z.object({ recipients: z.array(z.string()), timestamp: optionalString() })),
  reject: z.optional(z.object({ reason: optionalString() })),
  deliveryDelay: z.optional(
    z.object({
      delayType: optionalString(),
      delayedRecipients: z.array(recipient),
      expirationTime: optionalString(),
      timestamp: optionalString(),
    }),
  ),
  /** RenderingFailure: a template that could not be rendered (Herald sends raw messages) */
  failure: z.optional(z.object({ errorMessage: optionalString() })),
});
export type SesEvent = z.infer<typeof sesEventSchema>;

export const FEEDBACK_TYPES = ["bounce", "complaint", "delivery", "reject", "deliveryDelay"] as const;
export type FeedbackType = (typeof FEEDBACK_TYPES)[number];

/** The detail of a NotificationFeedback event: one recipient of one message. */
export interface NotificationFeedback {
  /**
   * Stable per SES event and recipient: a retried invocation publishes the same events again
   * (PutEvents has no deduplication), with the same feedbackId for consumers to drop them.
   */
  feedbackId: string;
  type: FeedbackType;
  recipient: string;
  /** the notification's real `id`, decoded from the message's `notification-id` tags (absent when it had none) */
  notificationId?: string;
  category?: string;
  /** true when SES will not deliver to this address again (hard bounce, complaint) */
  permanent: boolean;
  /** bounce: Permanent, Transient or Undetermined */
  bounceType?: string;
  bounceSubType?: string;
  complaintType?: string;
  delayType?: string;
  /** reject: why SES refused the message (e.g. a virus) */
  reason?: string;
  /** the recipient's server said (e.g. "smtp; 550 5.1.1 user unknown") */
  diagnosticCode?: string;
  status?: string;
  /** SES's message id and the Message-ID header Herald set */
  sesMessageId: string;
  messageId?: string;
  timestamp?: string;
}

/** SES's eventType for each feedback type Herald handles. */
const EVENT_TYPES: Record<string, FeedbackType> = {
  Bounce: "bounce",
  Complaint: "complaint",
  Delivery: "delivery",
  Reject: "reject",
  DeliveryDelay: "deliveryDelay",
};

export function feedbackType(eventType: string): FeedbackType | undefined {
  return EVENT_TYPES[eventType];
}

function tag(event: SesEvent, name: string): string | undefined {
  return event.mail.tags[name]?.[0];
}

/** One SES event's identity for one recipient: what a duplicate delivery of it repeats. */
function feedbackIdOf(event: SesEvent, item: Omit<NotificationFeedback, "feedbackId">): string {
  const identity = [event.mail.messageId, event.eventType, item.recipient, item.timestamp ?? ""];
  return createHash("sha256").update(JSON.stringify(identity)).digest("base64url").slice(0, 32);
}

/** One NotificationFeedback per affected recipient; [] for event types Herald ignores. */
export function feedbackFromSesEvent(event: SesEvent): NotificationFeedback[] {
  return feedbackItems(event).map((item) => ({ feedbackId: feedbackIdOf(event, item), ...item }));
}

function feedbackItems(event: SesEvent): Omit<NotificationFeedback, "feedbackId">[] {
  const type = feedbackType(event.eventType);
  if (!type) return [];
  const notificationId = notificationIdFromTags(event.mail.tags);
  const category = tag(event, MESSAGE_TAG_CATEGORY);
  const base = {
    type,
    ...(notificationId ? { notificationId } : {}),
    ...(category ? { category } : {}),
    sesMessageId: event.mail.messageId,
    ...(event.mail.commonHeaders?.messageId ? { messageId: event.mail.commonHeaders.messageId } : {}),
  };
  const withDetails = (r: z.infer<typeof recipient>) => ({
    recipient: r.emailAddress,
    ...(r.diagnosticCode ? { diagnosticCode: r.diagnosticCode } : {}),
    ...(r.status ? { status: r.status } : {}),
  });
  switch (type) {
    case "bounce": {
      const bounce = event.bounce;
      if (!bounce) return [];
      return bounce.bouncedRecipients.map((r) => ({
        ...base,
        ...withDetails(r),
        permanent: bounce.bounceType === "Permanent",
        bounceType: bounce.bounceType,
        ...(bounce.bounceSubType ? { bounceSubType: bounce.bounceSubType } : {}),
        ...(bounce.timestamp ? { timestamp: bounce.timestamp } : {}),
      }));
    }
    case "complaint": {
      const complaint = event.complaint;
      if (!complaint) return [];
      const complaintType = complaint.complaintFeedbackType ?? complaint.complaintSubType ?? undefined;
      return complaint.complainedRecipients.map((r) => ({
        ...base,
        ...withDetails(r),
        permanent: true,
        ...(complaintType ? { complaintType } : {}),
        ...(complaint.timestamp ? { timestamp: complaint.timestamp } : {}),
      }));
    }
    case "delivery":
      return (event.delivery?.recipients ?? []).map((address) => ({
        ...base,
        recipient: address,
        permanent: false,
        ...(event.delivery?.timestamp ? { timestamp: event.delivery.timestamp } : {}),
      }));
    case "reject":
      return event.mail.destination.map((address) => ({
        ...base,
        recipient: address,
        permanent: false,
        ...(event.reject?.reason ? { reason: event.reject.reason } : {}),
        ...(event.mail.timestamp ? { timestamp: event.mail.timestamp } : {}),
      }));
    case "deliveryDelay": {
      const delay = event.deliveryDelay;
      if (!delay) return [];
      return delay.delayedRecipients.map((r) => ({
        ...base,
        ...withDetails(r),
        permanent: false,
        ...(delay.delayType ? { delayType: delay.delayType } : {}),
        ...(delay.timestamp ? { timestamp: delay.timestamp } : {}),
      }));
    }
  }
}
