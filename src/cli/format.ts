import type { Problem } from "../settings/problems.ts";

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
export function formatProblems(problems: Problem[]): string {
  const sorted = [...problems].sort((a, b) =>
    a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1,
  );
  return sorted
    .map((problem) => {
      const source = problem.source ? ` [${problem.source}]` : "";
      return `  ${problem.severity.padEnd(7)} ${printable(problem.setting)}${source}\n          ${printable(problem.message)}\n          fix: ${printable(problem.fix)}\n`;
    })
    .join("");
}

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}
