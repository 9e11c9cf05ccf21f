/**
 * What an SES event says about each recipient of a notification, for its status record:
 * Send, Delivery, DeliveryDelay, Bounce, Complaint, Reject and RenderingFailure, each at
 * SES's own time for it (not the time it reached the feedback function).
 */
import type { SesEvent } from "../ses/feedback-event.ts";
import { notificationIdFromTags } from "../ses/message-tags.ts";
import type { RecipientUpdate } from "./record.ts";
import type { SesStatusEvent } from "./store.ts";

type Recipient = { emailAddress: string; diagnosticCode?: string | undefined; status?: string | undefined };

function time(value: string | undefined, fallback: number): number {
  const parsed = value === undefined ? Number.NaN : Date.parse(value);
  return Number.isNaN(parsed) ? fallback : parsed;
}

function words(...parts: (string | undefined | null)[]): string | undefined {
  const text = parts.filter((part) => part).join(": ");
  return text === "" ? undefined : text;
}

/** The status updates of one SES event, or undefined when it names no notification of Herald's. */
export function statusEventFromSes(event: SesEvent): SesStatusEvent | undefined {
  const id = notificationIdFromTags(event.mail.tags);
  if (id === undefined) return undefined;
  const sentAt = time(event.mail.timestamp, Date.now());
  const source = event.eventType;
  const each = (
    recipients: readonly (string | Recipient)[],
    update: Omit<RecipientUpdate, "address" | "source">,
  ): RecipientUpdate[] =>
    recipients.map((r) => {
      const recipient = typeof r === "string" ? { emailAddress: r } : r;
      const diagnostic = recipient.diagnosticCode ? { diagnosticCode: recipient.diagnosticCode } : {};
      return { address: recipient.emailAddress, source, ...update, ...diagnostic };
    });
  // SES refused the whole message: every recipient, at the send's time
  const rejectedAll = (reason: string) =>
    each(event.mail.destination, { state: "rejected", at: sentAt, reason });
  let updates: RecipientUpdate[] = [];
  switch (event.eventType) {
    case "Send":
      updates = each(event.mail.destination, { state: "sent", at: sentAt });
      break;
    case "Delivery":
      updates = each(event.delivery?.recipients ?? [], {
        state: "delivered",
        at: time(event.delivery?.timestamp, sentAt),
      });
      break;
    case "DeliveryDelay": {
      const delay = event.deliveryDelay;
      const reason = words("delayed", delay?.delayType);
      updates = each(delay?.delayedRecipients ?? [], {
        state: "delayed",
        at: time(delay?.timestamp, sentAt),
        ...(reason ? { reason } : {}),
        ...(delay?.delayType ? { delayType: delay.delayType } : {}),
      });
      break;
    }
    case "Bounce": {
      const bounce = event.bounce;
      if (!bounce) break;
      updates = each(bounce.bouncedRecipients, {
        state: "bounced",
        at: time(bounce.timestamp, sentAt),
        bounceType: bounce.bounceType,
        ...(bounce.bounceSubType ? { bounceSubType: bounce.bounceSubType } : {}),
      }).map((update) => ({
        ...update,
        reason: words(
          `${bounce.bounceType}/${bounce.bounceSubType ?? "Undetermined"}`,
          update.diagnosticCode,
        )!,
      }));
      break;
    }
    case "Complaint": {
      const complaint = event.complaint;
      if (!complaint) break;
      const type = complaint.complaintFeedbackType ?? complaint.complaintSubType ?? undefined;
      updates = each(complaint.complainedRecipients, {
        state: "complained",
        at: time(complaint.timestamp, sentAt),
        reason: words("complaint", type)!,
        ...(type ? { complaintType: type } : {}),
      });
      break;
    }
    case "Reject":
      updates = rejectedAll(words("rejected by SES", event.reject?.reason)!);
      break;
    case "RenderingFailure":
      updates = rejectedAll(words("rendering failure", event.failure?.errorMessage)!);
      break;
  }
  if (updates.length === 0) return undefined;
  return { id, sesMessageId: event.mail.messageId, sentAt, updates };
}
