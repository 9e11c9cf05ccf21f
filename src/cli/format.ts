import type { Problem } from "../settings/problems.ts";
import type { CliIo } from "./io.ts";

/** A few words of readable output in colour, or as they are. */
export interface Colors {
  ok(text: string): string;
  failed(text: string): string;
  warning(text: string): string;
}

const sgr = (code: number) => (text: string) => `\x1b[${code}m${text}\x1b[39m`;
const plain = (text: string) => text;

export const NO_COLORS: Colors = { ok: plain, failed: plain, warning: plain };
const ANSI_COLORS: Colors = { ok: sgr(32), failed: sgr(31), warning: sgr(33) };

/**
 * Colour only on a terminal, and never when NO_COLOR is set to anything but "" (no-color.org)
 * or the terminal says it cannot (TERM=dumb). JSON output is never coloured.
 */
export function colorsFor(io: Pick<CliIo, "env" | "isTTY">): Colors {
  const noColor = io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== "";
  return io.isTTY === true && !noColor && io.env.TERM !== "dumb" ? ANSI_COLORS : NO_COLORS;
}

/**
 * Text from outside (a server's banner and replies, a setting's value) made safe to print:
 * control characters, including the escape that starts terminal sequences, line breaks
 * that could fake a line of output, and bidirectional overrides, are shown as escapes.
 */
export function printable(text: string): string {
  return text.replace(
    // C0 controls, DEL, C1 controls, line/paragraph separators, bidi embeddings and isolates
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (char) => {
      const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
      return named[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
    },
  );
}

/** Problems as indented text, errors first. */
export function formatProblems(problems: Problem[], colors: Colors = NO_COLORS): string {
  const sorted = [...problems].sort((a, b) =>
    a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1,
  );
  return sorted
    .map((problem) => {
      const source = problem.source ? ` [${problem.source}]` : "";
      const severity = problem.severity.padEnd(7);
      const painted = problem.severity === "error" ? colors.failed(severity) : colors.warning(severity);
      return `  ${painted} ${printable(problem.setting)}${source}\n          ${printable(problem.message)}\n          fix: ${printable(problem.fix)}\n`;
    })
    .join("");
}

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}
