import { randomUUID } from "node:crypto";
import { describeError } from "../errors.ts";
import { composeMessage, prefixedSubject } from "../mail/compose.ts";
import type { OutgoingMessage } from "../mail/message.ts";
import type { MailTransport, SendOutcome } from "../mail/transport.ts";
import type {
  SecurityCheckConfig,
  ConfigProblem,
  ParsedSecurityConfig,
  StateLocation,
} from "../security/config.ts";
import { securityCheckSkipReason } from "../security/enabled.ts";
import { FeedMalformedError } from "../security/errors.ts";
import { fetchBulletinHtml, listBulletins, type Bulletin, type FeedClientOptions } from "../security/feed.ts";
import { appliesToProblem, bulletinApplies } from "../security/match.ts";
import type { BulletinPair, SecurityStateStore } from "../security/state-store.ts";
import type { LoadedSettings } from "../settings/load.ts";
import type { HeraldSettings } from "../settings/model.ts";
import { DEFAULT_TRANSPORT, type Transport } from "../constants.ts";
import type { Problem } from "../settings/problems.ts";
import type { SecurityCheckIssue, SecurityCheckSummary } from "../security/summary.ts";
import { blockingErrors } from "../transport-needs.ts";
import { validateLoadedSettings } from "../settings/validate.ts";

export type { SecurityCheckIssue, SecurityCheckStage, SecurityCheckSummary } from "../security/summary.ts";

/** A structured logger; Powertools' Logger fits. */
export interface CheckLogger {
  info(message: string, ...attributes: Array<Record<string, unknown>>): void;
  warn(message: string, ...attributes: Array<Record<string, unknown>>): void;
  error(message: string, ...attributes: Array<Record<string, unknown>>): void;
}

export interface SecurityCheckInput {
  /** the settings as loaded; their errors are reported only when the check is enabled */
  loaded: LoadedSettings;
  /** the parsed configuration; its problems are reported only when the check is enabled */
  config: ParsedSecurityConfig;
  /** opens the store the configuration names (called only when the check runs) */
  openStore: (location: StateLocation) => SecurityStateStore;
  /** the mail transport for valid settings (called only when the check runs); the caller closes it */
  openTransport: (settings: HeraldSettings) => MailTransport;
  /**
   * HERALD_TRANSPORT: which settings rules apply (with `ses-api`, no SMTP setting blocks the check).
   * @default "ses-smtp"
   */
  transport?: Transport;
  logger: CheckLogger;
  /** epoch ms by which the run must stop claiming and sending (a Lambda's remaining time) */
  deadline?: number;
  /**
   * How long a claim stays with this run before another may take it over (this run is then
   * presumed crashed). Longer than any send can take. @default 900_000 (15 minutes)
   */
  leaseMs?: number;
  /** @default Date.now */
  now?: () => number;
}

const DEFAULT_LEASE_MS = 15 * 60 * 1000;
const SUBJECT = "Security Bulletin";

/**
 * Mattermost's security update check, once: list the feed's bulletins, keep those for the
 * product version, and email each to every administrator who has not had it yet, claiming
 * each (bulletin, administrator) pair first so overlapping runs never send it twice. Never
 * throws; every failure is an entry in `errors`, and nothing is recorded as sent unless
 * the transport accepted it.
 */
export async function runSecurityCheck(input: SecurityCheckInput): Promise<SecurityCheckSummary> {
  const summary: SecurityCheckSummary = { checked: 0, applicable: 0, sent: 0, skipped: 0, errors: [] };
  const skippedReason = securityCheckSkipReason(input.loaded.settings);
  if (skippedReason) {
    input.logger.info("security check skipped", { event: "security-check.skipped", reason: skippedReason });
    return { ...summary, skippedReason };
  }
  summary.errors.push(
    ...settingsErrors(input.loaded, input.transport ?? DEFAULT_TRANSPORT).map(settingsIssue),
  );
  if (!input.config.ok) summary.errors.push(...input.config.problems.map(configIssue));
  if (summary.errors.length > 0 || !input.config.ok) return finish(input, summary);
  try {
    await new Run(input, input.config.config, summary).run();
  } catch (error) {
    // A bug or a store failure outside the per-pair handling: still a summary, not a crash.
    summary.errors.push({ stage: "state", message: describeError(error) });
  }
  return finish(input, summary);
}

/** Settings that cannot be read, or that no message could be sent with. */
function settingsErrors(loaded: LoadedSettings, transport: Transport): Problem[] {
  const invalid = blockingErrors(validateLoadedSettings(loaded).problems, transport);
  return [...loaded.inputErrors, ...invalid];
}

function settingsIssue(problem: Problem): SecurityCheckIssue {
  return { stage: "settings", message: `${problem.setting}: ${problem.message} (${problem.fix})` };
}

function configIssue(problem: ConfigProblem): SecurityCheckIssue {
  return { stage: "config", message: `${problem.source}: ${problem.message} (${problem.fix})` };
}

function finish(input: SecurityCheckInput, summary: SecurityCheckSummary): SecurityCheckSummary {
  const { checked, applicable, sent, skipped, errors } = summary;
  const attributes = { checked, applicable, sent, skipped, errors };
  if (errors.length === 0) {
    input.logger.info("security check done", { event: "security-check.done", ...attributes });
  } else {
    input.logger.error("security check failed", { event: "security-check.failed", ...attributes });
  }
  return summary;
}

class Run {
  readonly #input: SecurityCheckInput;
  readonly #config: SecurityCheckConfig;
  readonly #summary: SecurityCheckSummary;
  readonly #now: () => number;
  readonly #owner = randomUUID();
  #store: SecurityStateStore | undefined;
  #transport: MailTransport | undefined;

  constructor(input: SecurityCheckInput, config: SecurityCheckConfig, summary: SecurityCheckSummary) {
    this.#input = input;
    this.#config = config;
    this.#summary = summary;
    this.#now = input.now ?? Date.now;
  }

  async run(): Promise<void> {
    const store = this.#input.openStore(this.#config.state);
    this.#store = store;
    this.#transport = this.#input.openTransport(this.#input.loaded.settings);
    let installationId: string;
    try {
      installationId = this.#config.installationId ?? (await store.installationId());
    } catch (error) {
      return this.#fail({
        stage: "state",
        message: `cannot read the installation id: ${describeError(error)}`,
      });
    }

    if (this.#pastDeadline()) {
      return this.#fail({ stage: "deadline", message: "stopped before the invocation's time ran out" });
    }
    let bulletins: Bulletin[];
    try {
      bulletins = await listBulletins(this.#feed(), {
        installationId,
        productVersion: this.#config.productVersion,
      });
    } catch (error) {
      return this.#fail({ stage: "feed", message: describeError(error) });
    }
    this.#summary.checked = bulletins.length;
    for (const bulletin of bulletins) {
      const problem = appliesToProblem(bulletin.applies_to_version);
      if (problem) this.#fail({ bulletin: bulletin.id, stage: "bulletin", message: problem });
    }
    const applicable = bulletins.filter((b) =>
      bulletinApplies(b.applies_to_version, this.#config.productVersion),
    );
    this.#summary.applicable = applicable.length;

    let emailed = 0;
    for (const [index, bulletin] of applicable.entries()) {
      if (emailed >= this.#config.maxBulletinsPerRun) return this.#defer(applicable.length - index);
      if (this.#pastDeadline()) {
        return this.#fail({ stage: "deadline", message: "stopped before the invocation's time ran out" });
      }
      if (await this.#deliver(bulletin.id)) emailed += 1;
    }
  }

  /** The cap is reached: a feed listing thousands of bulletins must not flood the admins. */
  #defer(deferred: number): void {
    this.#summary.deferred = deferred;
    this.#input.logger.warn("security bulletin cap reached: the other bulletins wait for the next runs", {
      event: "security-check.bulletin-cap",
      limit: this.#config.maxBulletinsPerRun,
      deferred,
    });
  }

  /**
   * Send one bulletin to every administrator who has not had it. True when it had someone
   * to send to (it counts against the run's cap), false when everyone had it.
   */
  async #deliver(bulletinId: string): Promise<boolean> {
    const pending: string[] = [];
    for (const admin of this.#config.admins) {
      try {
        if (await this.#store!.wasSent({ bulletinId, admin })) this.#summary.skipped += 1;
        else pending.push(admin);
      } catch (error) {
        this.#fail({ bulletin: bulletinId, admin, stage: "state", message: describeError(error) });
      }
    }
    if (pending.length === 0) return false;

    let html: string;
    try {
      // Loaded only when a bulletin is to be sent: most scheduled checks find none.
      const [{ sanitizeBulletinHtml }, { htmlToText }] = await Promise.all([
        import("../security/sanitize.ts"),
        import("../mail/html-to-text.ts"),
      ]);
      html = sanitizeBulletinHtml(await fetchBulletinHtml(this.#feed(), bulletinId));
      // an empty email would be recorded as sent and never retried
      if (htmlToText(html).trim() === "") {
        throw new FeedMalformedError(`bulletin ${bulletinId} has nothing left after sanitizing`);
      }
    } catch (error) {
      this.#fail({ bulletin: bulletinId, stage: "bulletin", message: describeError(error) });
      return true;
    }
    for (const admin of pending) {
      if (this.#pastDeadline()) {
        this.#fail({
          bulletin: bulletinId,
          admin,
          stage: "deadline",
          message: "stopped before the invocation's time ran out",
        });
        return true;
      }
      await this.#sendTo({ bulletinId, admin }, html);
    }
    return true;
  }

  /** Claim the pair, send, then record it as sent, or release the claim for the next run. */
  async #sendTo(pair: BulletinPair, html: string): Promise<void> {
    const store = this.#store!;
    const where = { bulletin: pair.bulletinId, admin: pair.admin };
    const now = this.#now();
    let claimed;
    try {
      claimed = await store.claim(pair, {
        owner: this.#owner,
        now,
        leaseUntil: now + (this.#input.leaseMs ?? DEFAULT_LEASE_MS),
      });
    } catch (error) {
      return this.#fail({ ...where, stage: "state", message: describeError(error) });
    }
    if (claimed.status !== "claimed") {
      this.#summary.skipped += 1;
      this.#input.logger.info("security bulletin skipped", {
        event: "security-check.skipped-pair",
        ...where,
        reason: claimed.status === "sent" ? "already sent" : "another run is sending it",
      });
      return;
    }
    const { claim } = claimed;

    let message: OutgoingMessage;
    try {
      const settings = this.#input.loaded.settings;
      message = await composeMessage(settings, {
        to: [pair.admin],
        subject: prefixedSubject(settings, SUBJECT),
        html,
      });
    } catch (error) {
      await this.#release(claim);
      return this.#fail({ ...where, stage: "compose", message: describeError(error) });
    }
    const failure = await this.#send(message);
    if (failure) {
      await this.#release(claim);
      return this.#fail({ ...where, stage: "send", message: `${failure} (the next run retries)` });
    }
    const { messageId } = message;

    try {
      await store.markSent(claim, { messageId, at: this.#now() });
    } catch (error) {
      this.#summary.sent += 1;
      return this.#fail({
        ...where,
        stage: "record",
        message: `sent (${messageId}) but not recorded: ${describeError(error)}`,
      });
    }
    this.#summary.sent += 1;
    this.#input.logger.info("security bulletin sent", { event: "security-check.sent", ...where, messageId });
  }

  /** Why the transport did not deliver the message, or undefined when it did. */
  async #send(message: OutgoingMessage): Promise<string | undefined> {
    let outcome: SendOutcome;
    try {
      outcome = await this.#transport!.send(message, { deadline: this.#input.deadline });
    } catch (error) {
      // The port promises never to throw; an adapter that does still only fails this pair.
      return describeError(error);
    }
    if (outcome.ok && outcome.rejected.length === 0) return undefined;
    if (outcome.error) return `${outcome.error.code}: ${outcome.error.message}`;
    return `the server refused ${outcome.rejected.join(", ") || "the message"}`;
  }

  async #release(claim: Parameters<SecurityStateStore["release"]>[0]): Promise<void> {
    try {
      await this.#store!.release(claim);
    } catch (error) {
      // The claim then expires with its lease; the next run after that retries the pair.
      this.#input.logger.warn("could not release a claim", {
        event: "security-check.release-failed",
        bulletin: claim.pair.bulletinId,
        admin: claim.pair.admin,
        error: describeError(error),
      });
    }
  }

  #feed(): FeedClientOptions {
    const remaining = this.#input.deadline === undefined ? Infinity : this.#input.deadline - this.#now();
    return {
      feedUrl: this.#config.feedUrl,
      timeoutMs: Math.max(1, Math.min(this.#config.feedTimeoutMs, remaining)),
    };
  }

  #pastDeadline(): boolean {
    return this.#input.deadline !== undefined && this.#now() >= this.#input.deadline;
  }

  #fail(issue: SecurityCheckIssue): void {
    this.#summary.errors.push(issue);
    this.#input.logger.warn("security check problem", { event: "security-check.problem", ...issue });
  }
}
