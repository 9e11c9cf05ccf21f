import type { Problem } from "../settings/problems.ts";

/** Problems as indented text, errors first. */
export function formatProblems(problems: Problem[]): string {
  const sorted = [...problems].sort((a, b) =>
    a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1,
  );
  return sorted
    .map((problem) => {
      const source = problem.source ? ` [${problem.source}]` : "";
      return `  ${problem.severity.padEnd(7)} ${problem.setting}${source}\n          ${problem.message}\n          fix: ${problem.fix}\n`;
    })
    .join("");
}

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}
