/**
 * Per-recipient accounting of a fault or load run, from what the servers accepted, what was
 * dead-lettered (with a reason, or moved on by the redrive policy) and what the handler
 * logged (unknown outcomes, recipients refused for good).
 *
 * A recipient is, in this order: accepted (by a server, counted once; more is a duplicate);
 * dead-lettered; refused for good (a 5xx to that recipient, logged
 * `notification.recipients-rejected` while the message was settled); not received after an
 * unknown outcome that the at-most-once policy did not retry (its documented price); or
 * else lost.
 */
import type { UnknownOutcomePolicy } from "../../src/constants.ts";

export interface TalliedEvent {
  id: string;
  to: string[];
}

export interface Figures {
  events: number;
  recipients: number;
  /** (event, recipient) pairs a server accepted at least once */
  accepted: number;
  /** copies beyond the first */
  duplicates: number;
  /** duplicates of an event whose outcome was never counted as unknown */
  unexplainedDuplicates: number;
  /** `notification.unknown-outcome` logs */
  unknown: number;
  deadLettered: number;
  /** refused for good (5xx) while the message was settled: logged and counted */
  refused: number;
  /** not received after an unknown outcome, not retried by the at-most-once policy */
  notRetried: number;
  lost: number;
}

/** Collects what the workers log: unknown outcomes per id, recipients refused for good. */
export class LogWatch {
  readonly unknownIds = new Map<string, number>();
  readonly refused = new Set<string>();
  /** unknown outcomes by their reason, for FAULTS_VERBOSE */
  readonly unknownWhy = new Map<string, number>();
  /** retryable outcomes by their code, for FAULTS_VERBOSE */
  readonly retryableCodes = new Map<string, number>();
  private readonly listeners: Array<{ part: RegExp; resolve: () => void }> = [];

  readonly onLog = (line: string): void => {
    for (const listener of [...this.listeners]) {
      if (!listener.part.test(line)) continue;
      this.listeners.splice(this.listeners.indexOf(listener), 1);
      listener.resolve();
    }
    if (!line.startsWith("{")) return;
    if (line.includes("notification.unknown-outcome")) {
      const entry = JSON.parse(line) as { id?: string; why?: string };
      const id = entry.id ?? "?";
      this.unknownIds.set(id, (this.unknownIds.get(id) ?? 0) + 1);
      const why = entry.why ?? "?";
      this.unknownWhy.set(why, (this.unknownWhy.get(why) ?? 0) + 1);
    } else if (line.includes("notification.retryable")) {
      const code = (JSON.parse(line) as { code?: string }).code ?? "?";
      this.retryableCodes.set(code, (this.retryableCodes.get(code) ?? 0) + 1);
    } else if (line.includes("notification.recipients-rejected")) {
      const entry = JSON.parse(line) as { id?: string; rejectedRecipients?: string[] };
      for (const to of entry.rejectedRecipients ?? []) this.refused.add(`${entry.id} ${to}`);
    }
  };

  /** A barrier: resolves at the next log line that matches `part`. */
  logged(part: RegExp): Promise<void> {
    return new Promise((resolve) => this.listeners.push({ part, resolve }));
  }
}

export function pairKey(id: string, to: string): string {
  return `${id} ${to}`;
}

export function tally(input: {
  events: readonly TalliedEvent[];
  /** copies accepted, per pairKey */
  received: ReadonlyMap<string, number>;
  /** pairKeys dead-lettered with a reason */
  deadLettered: ReadonlySet<string>;
  /** bodies SQS's redrive policy moved on (no reason) */
  redriven: readonly string[];
  watch: LogWatch;
  policy: UnknownOutcomePolicy;
}): Figures {
  const { events, received, watch, policy } = input;
  const deadLettered = new Set(input.deadLettered);
  for (const body of input.redriven) {
    const event = JSON.parse(body) as TalliedEvent;
    for (const to of event.to) {
      if (!received.has(pairKey(event.id, to))) deadLettered.add(pairKey(event.id, to));
    }
  }
  const figures: Figures = {
    events: events.length,
    recipients: 0,
    accepted: received.size,
    duplicates: 0,
    unexplainedDuplicates: 0,
    unknown: [...watch.unknownIds.values()].reduce((a, b) => a + b, 0),
    deadLettered: 0,
    refused: 0,
    notRetried: 0,
    lost: 0,
  };
  for (const [pair, copies] of received) {
    figures.duplicates += copies - 1;
    if (copies > 1 && !watch.unknownIds.has(pair.slice(0, pair.lastIndexOf(" ")))) {
      figures.unexplainedDuplicates += copies - 1;
    }
  }
  for (const event of events) {
    for (const to of event.to) {
      figures.recipients += 1;
      const pair = pairKey(event.id, to);
      if (received.has(pair)) continue;
      if (deadLettered.has(pair)) figures.deadLettered += 1;
      else if (watch.refused.has(pair)) figures.refused += 1;
      else if (policy === "at-most-once" && watch.unknownIds.has(event.id)) figures.notRetried += 1;
      else figures.lost += 1;
    }
  }
  return figures;
}
