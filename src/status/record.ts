/**
 * A notification's delivery status: what the pipeline knew when it sent (or failed) and what
 * SES reported since, per recipient. One record per notification id in the shared table.
 */
import { createHash } from "node:crypto";
import {
  DEFAULT_STATUS_RETENTION_DAYS,
  STATUS_ADDRESS_FORMS,
  STATUS_ADDRESSES_ENV,
  STATUS_RETENTION_DAYS_ENV,
  type StatusAddressForm,
} from "../constants.ts";
import { HeraldError } from "../errors.ts";

/** A recipient's state, latest by event time. `unknown`: nothing known yet (not sent, no event). */
export const RECIPIENT_STATES = [
  "sent",
  "delivered",
  "delayed",
  "bounced",
  "complained",
  "rejected",
  "unknown",
] as const;
export type RecipientState = (typeof RECIPIENT_STATES)[number];

/**
 * Breaks ties between events of the same millisecond: the later in a message's life wins
 * (a complaint follows a delivery, a bounce follows a delay).
 */
const STATE_RANK: Record<Exclude<RecipientState, "unknown">, number> = {
  sent: 0,
  delayed: 1,
  delivered: 2,
  rejected: 3,
  bounced: 4,
  complained: 5,
};

/** Why a recipient is in its state: the details an event gives, kept as they came. */
export interface RecipientDetail {
  /** why, in words: a diagnostic code, a reject reason, a delay type */
  reason?: string;
  bounceType?: string;
  bounceSubType?: string;
  diagnosticCode?: string;
  complaintType?: string;
  delayType?: string;
}

/** What an event says about one recipient. */
export interface RecipientUpdate extends RecipientDetail {
  address: string;
  state: Exclude<RecipientState, "unknown">;
  /** epoch ms of the event (SES's own time for SES events) */
  at: number;
  /** what reported it: "pipeline", or SES's event type */
  source: string;
}

/** The order of updates for one recipient: event time first, then the state's rank. */
export function updateOrder(update: Pick<RecipientUpdate, "state" | "at">): number {
  return update.at * 8 + STATE_RANK[update.state];
}

export interface StatusConfig {
  retentionSeconds: number;
  addresses: StatusAddressForm;
}

/** Bad status settings: the variable, and the fix. */
export class StatusConfigError extends HeraldError {
  override name = "StatusConfigError";
  readonly code = "ESTATUSCONFIG";
}

/** HERALD_STATUS_RETENTION_DAYS and HERALD_STATUS_ADDRESSES, validated. */
export function statusConfigFrom(env: Readonly<NodeJS.ProcessEnv>): StatusConfig {
  const days = env[STATUS_RETENTION_DAYS_ENV]?.trim() || String(DEFAULT_STATUS_RETENTION_DAYS);
  if (!/^\d+$/.test(days) || Number(days) < 1 || Number(days) > 3650) {
    throw new StatusConfigError(
      `${STATUS_RETENTION_DAYS_ENV} is ${JSON.stringify(days)}, not a whole number of days from 1 to 3650`,
      { hint: `set ${STATUS_RETENTION_DAYS_ENV} to e.g. 30, or unset it` },
    );
  }
  const addresses = env[STATUS_ADDRESSES_ENV]?.trim() || "plain";
  if (!(STATUS_ADDRESS_FORMS as readonly string[]).includes(addresses)) {
    throw new StatusConfigError(
      `${STATUS_ADDRESSES_ENV} is ${JSON.stringify(addresses)}, not one of ${STATUS_ADDRESS_FORMS.join(", ")}`,
      { hint: `set ${STATUS_ADDRESSES_ENV} to plain or hashed, or unset it` },
    );
  }
  return { retentionSeconds: Number(days) * 86_400, addresses: addresses as StatusAddressForm };
}

/** SHA-256 of the lower-cased address: the same recipient whatever case SES reports it in. */
export function addressDigest(address: string): string {
  return createHash("sha256").update(address.trim().toLowerCase()).digest("hex");
}

/** The address as a record keeps it: as given, or `sha256:<hex>`. */
export function storedAddress(address: string, form: StatusAddressForm): string {
  return form === "plain" ? address : `sha256:${addressDigest(address)}`;
}

/** The attribute that holds one recipient's state (a digest: any address, any case). */
export function recipientAttribute(address: string): string {
  return `r_${addressDigest(address).slice(0, 40)}`;
}

/** One recipient as `herald status` and the status function show it. */
export interface RecipientStatus extends RecipientDetail {
  /** the address, or `sha256:<hex>` when the record keeps addresses hashed */
  address: string;
  state: RecipientState;
  /** ISO time of the event that set the state */
  at?: string;
  source?: string;
}

/** A notification's status, as read. */
export interface NotificationStatus {
  id: string;
  /** how it was sent: ses-api, ses-smtp or smtp (absent when only SES events are known) */
  transport?: string;
  /** the pipeline's last outcome: sent, retryable, permanent, disabled */
  outcome?: string;
  code?: string;
  reason?: string;
  /** ISO time the transport accepted it */
  sentAt?: string;
  messageId?: string;
  providerMessageId?: string;
  /** ISO time the record expires */
  expiresAt: string;
  /** false over plain SMTP: no delivery events come back, only the send is known */
  eventsExpected: boolean;
  recipients: RecipientStatus[];
}

/** Every recipient delivered: `herald status` exits 0. */
export function allDelivered(status: NotificationStatus): boolean {
  return status.recipients.length > 0 && status.recipients.every((r) => r.state === "delivered");
}
