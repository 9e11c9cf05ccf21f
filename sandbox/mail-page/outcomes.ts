/**
 * What only Herald knows about a message: the notification event it came from and what became
 * of that event. The sandbox's flow records each event's outcome as it observes it (the
 * handler's batch failures, the messages caught, the dead letters); the mail page reads them.
 */
export type Outcome = "sent" | "retried" | "duplicate skipped" | "dead-lettered";

export interface NotificationOutcome {
  /** the notification event's id */
  id: string;
  category?: string;
  subject: string;
  to: readonly string[];
  /** each delivery of the event, in order: ["retried", "sent"], ["sent", "duplicate skipped"] */
  deliveries: Array<{ outcome: Outcome; reason?: string }>;
}

/** The ledger the flow writes and the page reads. */
export class NotificationOutcomes {
  readonly entries: NotificationOutcome[] = [];

  record(
    event: { id: string; category?: string; subject: string; to: readonly string[] },
    outcome: Outcome,
    reason?: string,
  ): void {
    let entry = this.entries.find((e) => e.id === event.id);
    if (!entry) {
      entry = { id: event.id, subject: event.subject, to: event.to, deliveries: [] };
      if (event.category) entry.category = event.category;
      this.entries.push(entry);
    }
    entry.deliveries.push(reason === undefined ? { outcome } : { outcome, reason });
  }

  clear(): void {
    this.entries.length = 0;
  }
}

/** "retried then sent", "sent, then a duplicate skipped", "dead-lettered: 550 ..." */
export function describeOutcome(entry: Pick<NotificationOutcome, "deliveries">): string {
  const parts = entry.deliveries.map((d) => (d.reason ? `${d.outcome}: ${d.reason}` : d.outcome));
  return parts.join(", then ");
}

/** The one outcome the filter uses: the last delivery's, "retried" when it was retried before sending. */
export function finalOutcome(entry: Pick<NotificationOutcome, "deliveries">): string {
  const outcomes = entry.deliveries.map((d) => d.outcome);
  const sentAt = outcomes.indexOf("sent");
  if (sentAt > 0 && outcomes.slice(0, sentAt).includes("retried")) return "retried then sent";
  if (outcomes.includes("dead-lettered")) return "dead-lettered";
  if (outcomes.includes("sent")) return "sent";
  return outcomes.at(-1) ?? "sent";
}

/**
 * The event a caught message came from: its Message-ID names the notification (Herald's
 * stable Message-ID), else (the SES emulator rewrites Message-IDs) its subject and recipients.
 */
export function outcomeOf(
  entries: readonly NotificationOutcome[],
  mail: { envelopeTo: readonly string[] },
  parsed: { messageIdLeft?: string; subject: string },
  messageIdLeftOf: (id: string) => string,
): NotificationOutcome | undefined {
  return (
    entries.find(
      (e) => parsed.messageIdLeft !== undefined && messageIdLeftOf(e.id) === parsed.messageIdLeft,
    ) ??
    entries.find(
      (e) => parsed.subject.endsWith(e.subject) && e.to.some((address) => mail.envelopeTo.includes(address)),
    )
  );
}
