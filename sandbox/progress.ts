/**
 * The sandbox's step lines: "OK      title  detail" or "FAILED  title  detail" with what was
 * expected. A step that takes more than a second shows that it is still running: on a
 * terminal a line that counts the seconds in place, elsewhere (CI logs) a line now and then.
 */
import { describeError } from "../src/errors.ts";

export interface StepOutcome {
  ok: boolean;
  /** one line: what happened */
  detail: string;
  /** what should have happened, shown when it did not */
  expected?: string;
}

export interface StepResult extends StepOutcome {
  title: string;
  ms: number;
}

export interface ProgressOptions {
  write: (text: string) => void;
  /** the output is a terminal: progress is drawn in place */
  tty: boolean;
  /** colour OK / FAILED (a terminal, and NO_COLOR not set) */
  color: boolean;
  /** @default 1000 */
  slowAfterMs?: number;
}

export interface Progress {
  step(title: string, run: () => Promise<StepOutcome>): Promise<StepResult>;
  readonly results: readonly StepResult[];
}

const TITLE_WIDTH = 40;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function createProgress(options: ProgressOptions): Progress {
  const { write, tty, color } = options;
  const slowAfterMs = options.slowAfterMs ?? 1000;
  const paint = (code: number, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const results: StepResult[] = [];

  return {
    results,
    async step(title, run) {
      const started = performance.now();
      const elapsed = () => performance.now() - started;
      const running = `  ...     ${title}`;
      let ticker: NodeJS.Timeout | undefined;
      if (tty) write(running);
      const slow = setTimeout(() => {
        if (tty) {
          const draw = () => write(`\r\x1b[K${running} (${seconds(elapsed())})`);
          draw();
          ticker = setInterval(draw, 200);
        } else {
          const note = () => write(`${running}: still running (${seconds(elapsed())})\n`);
          note();
          ticker = setInterval(note, 5000);
        }
      }, slowAfterMs);
      let outcome: StepOutcome;
      try {
        outcome = await run();
      } catch (error) {
        outcome = { ok: false, detail: `stopped with ${describeError(error)}` };
      } finally {
        clearTimeout(slow);
        clearInterval(ticker);
      }
      const ms = elapsed();
      const result: StepResult = { title, ms, ...outcome };
      results.push(result);
      const status = outcome.ok ? paint(32, "OK    ") : paint(31, "FAILED");
      const time = ms >= slowAfterMs ? ` (${seconds(ms)})` : "";
      let line = `  ${status}  ${title.padEnd(TITLE_WIDTH)} ${outcome.detail}${time}\n`;
      if (!outcome.ok && outcome.expected)
        line += `          ${"".padEnd(TITLE_WIDTH)} expected: ${outcome.expected}\n`;
      write(tty ? `\r\x1b[K${line}` : line);
      return result;
    },
  };
}
