import { StageTimeoutError } from "./errors.ts";
import type { SmtpStage } from "./report.ts";

/**
 * One overall timer per stage or command, restarted when the next one starts.
 *
 * nodemailer's socketTimeout is an idle timer: a server that sends one byte now and then
 * keeps a command waiting for as long as it likes. This bounds the wait from its start,
 * whatever arrives in between. `onTimeout` is called at most once per start; `stop()` ends it
 * for good (no timer is left behind).
 */
export class StageTimeout {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly timeoutMs: number;
  private readonly onTimeout: (error: StageTimeoutError) => void;

  constructor(timeoutMs: number, onTimeout: (error: StageTimeoutError) => void) {
    this.timeoutMs = timeoutMs;
    this.onTimeout = onTimeout;
  }

  /** Start the bound of `stage` now, replacing the one before. */
  restart(stage: SmtpStage): void {
    clearTimeout(this.timer);
    if (this.stopped || stage === "done") return;
    this.timer = setTimeout(
      () => this.onTimeout(new StageTimeoutError(stage, this.timeoutMs)),
      this.timeoutMs,
    );
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
