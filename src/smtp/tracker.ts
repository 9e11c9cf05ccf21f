import { format } from "node:util";
import { COMMAND_STAGES } from "./command-stages.ts";
import type { SmtpStage } from "./report.ts";

type LogMeta = { tnx?: string } | undefined;

// The EHLO stage begins with the greeting's reply (or the STARTTLS upgrade), not the command.
const CLIENT_STAGES = COMMAND_STAGES.filter(([, stage]) => stage !== "ehlo");

export interface StageListener {
  /** A new stage began (its time starts now). */
  onStage?(stage: SmtpStage): void;
  /** The client sent a command (a new wait for a reply starts now). */
  onCommand?(stage: SmtpStage): void;
  /**
   * nodemailer logged the DNS result: it opens its socket right after, in the same tick (the
   * only moment a caller can see the socket of an implicit-TLS session before its handshake).
   */
  onResolved?(): void;
}

/**
 * Follows an SMTP conversation through nodemailer's transaction log to know the stage at
 * any moment, the time spent in each, the banner and the last EHLO reply. Only protocol
 * metadata is kept: nodemailer masks AUTH payloads, and message content is not logged.
 *
 * Stages: "connect" (DNS and TCP), "tls" (a TLS handshake: implicit, or after the server
 * accepted STARTTLS), "greeting", "ehlo" (again after STARTTLS), "starttls" (the command and
 * its reply), "auth", "mail", "rcpt", "data", "done".
 */
export class StageTracker {
  stage: SmtpStage = "connect";
  banner?: string;
  ehloReply?: string;
  private readonly started: Array<[SmtpStage, number]> = [["connect", performance.now()]];
  private readonly listener: StageListener;

  constructor(listener: StageListener = {}) {
    this.listener = listener;
  }

  enter(stage: SmtpStage): void {
    if (stage === this.stage) return;
    this.stage = stage;
    this.started.push([stage, performance.now()]);
    this.listener.onStage?.(stage);
  }

  /**
   * The TCP connection of an implicit-TLS session is up: the handshake starts. nodemailer
   * reports such a connection only once the handshake is done, so the caller watches the socket.
   */
  tcpConnected(): void {
    if (this.stage === "connect") this.enter("tls");
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
    const tnx = meta?.tnx;
    if (tnx === "server") this.onServerReply(line);
    else if (tnx === "client") this.onClientCommand(line);
    else if (tnx !== "message") this.onNotice(line);
  }

  /**
   * nodemailer's own notices ("network", "smtp", ...). Matched by text, not by tnx: nodemailer
   * logs the STARTTLS upgrade under "smtp" and the connection under "network".
   */
  private onNotice(line: string): void {
    if (/^Resolved /.test(line)) this.listener.onResolved?.();
    // "Connection established to" / "Secure connection established to" (after implicit TLS)
    else if (/established to/.test(line)) this.enter("greeting");
    // RFC 3207: everything learnt before TLS is forgotten, the EHLO after it is the one that counts
    else if (/upgraded with STARTTLS/.test(line)) {
      this.ehloReply = undefined;
      this.enter("ehlo");
    }
  }

  private onServerReply(line: string): void {
    if (this.stage === "greeting") {
      this.banner = line;
      this.enter("ehlo");
    } else if (this.stage === "ehlo" && /^250/.test(line)) {
      this.ehloReply = line;
    } else if (this.stage === "starttls" && /^220/.test(line)) {
      // the server accepted STARTTLS: what follows is the handshake
      this.enter("tls");
    }
  }

  private onClientCommand(line: string): void {
    for (const [pattern, stage] of CLIENT_STAGES) if (pattern.test(line)) this.enter(stage);
    this.listener.onCommand?.(this.stage);
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
