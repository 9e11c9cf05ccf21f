import { format } from "node:util";
import type { SmtpStage } from "./report.ts";

type LogMeta = { tnx?: string } | undefined;

const CLIENT_STAGES: Array<[RegExp, SmtpStage]> = [
  [/^STARTTLS/i, "starttls"],
  [/^AUTH\b/i, "auth"],
  [/^MAIL FROM/i, "mail"],
  [/^RCPT TO/i, "rcpt"],
  [/^DATA/i, "data"],
];

/**
 * Follows an SMTP conversation through nodemailer's transaction log to know the stage at
 * any moment, the time spent in each, the banner and the last EHLO reply. Only protocol
 * metadata is kept: nodemailer masks AUTH payloads, and message content is not logged.
 */
export class StageTracker {
  stage: SmtpStage = "connect";
  banner?: string;
  ehloReply?: string;
  private readonly started: Array<[SmtpStage, number]> = [["connect", performance.now()]];
  private readonly onStage?: (stage: SmtpStage) => void;

  constructor(onStage?: (stage: SmtpStage) => void) {
    this.onStage = onStage;
  }

  enter(stage: SmtpStage): void {
    if (stage === this.stage) return;
    this.stage = stage;
    this.started.push([stage, performance.now()]);
    this.onStage?.(stage);
  }

  /** Milliseconds per stage (a stage entered twice, like EHLO after STARTTLS, adds up). */
  timings(): Partial<Record<SmtpStage, number>> {
    const end = performance.now();
    const timings: Partial<Record<SmtpStage, number>> = {};
    this.started.forEach(([stage, start], index) => {
      const next = this.started[index + 1]?.[1] ?? end;
      timings[stage] = Math.round(((timings[stage] ?? 0) + next - start) * 10) / 10;
    });
    delete timings.done;
    return timings;
  }

  /** A bunyan-style logger for nodemailer's `logger` option (with `transactionLog: true`). */
  readonly logger = {
    trace: () => undefined,
    debug: (meta: LogMeta, ...args: unknown[]) => this.onLog(meta, format(...args)),
    info: (meta: LogMeta, ...args: unknown[]) => this.onLog(meta, format(...args)),
    warn: () => undefined,
    error: () => undefined,
    fatal: () => undefined,
  };

  private onLog(meta: LogMeta, line: string): void {
    if (meta?.tnx === "network") {
      if (/established to/.test(line)) this.enter("greeting");
      if (/upgraded with STARTTLS/.test(line)) this.enter("ehlo");
    } else if (meta?.tnx === "server") {
      if (this.stage === "greeting") {
        this.banner = line;
        this.enter("ehlo");
      } else if (this.stage === "ehlo" && /^250/.test(line)) {
        this.ehloReply = line;
      }
    } else if (meta?.tnx === "client") {
      for (const [pattern, stage] of CLIENT_STAGES) if (pattern.test(line)) this.enter(stage);
    }
  }
}

/** EHLO keywords with their parameters ("SIZE 10485760"), without the reply code. */
export function ehloExtensions(reply: string | undefined): string[] {
  if (!reply) return [];
  return reply
    .split(/\r?\n/)
    .slice(1)
    .map((line) => line.replace(/^250[ -]/, "").trim())
    .filter(Boolean);
}

export function ehloAuthMethods(reply: string | undefined): string[] {
  const auth = ehloExtensions(reply).find((ext) => /^AUTH[ =]/i.test(ext));
  return auth ? auth.slice(5).trim().split(/\s+/).filter(Boolean) : [];
}
