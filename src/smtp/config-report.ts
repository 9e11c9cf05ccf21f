import type { Problem } from "../settings/problems.ts";
import { classifySmtpError } from "./classify.ts";
import { SmtpConfigError } from "./errors.ts";
import type { SmtpReport } from "./report.ts";

/** The report of an operation refused before any connection (stage "config"). */
export function configReport(error: SmtpConfigError): SmtpReport {
  const { stage, error: info, hint } = classifySmtpError(error, "config");
  return { ok: false, stage, error: info, ...(hint ? { hint } : {}) };
}

/**
 * Settings problems as the error that refuses a session: the first problem's code, every
 * message, and every fix as the hint.
 */
export function problemsError(problems: readonly Problem[]): SmtpConfigError {
  const [first] = problems;
  const error = new SmtpConfigError(
    first?.code ?? "EINVALIDSETTINGS",
    problems.map((p) => `${p.setting}: ${p.message}`).join("; "),
  );
  const fixes = [...new Set(problems.map((p) => p.fix))];
  return Object.assign(error, { hint: `${sentence(fixes.join("; "))}` });
}

function sentence(text: string): string {
  return text === "" ? text : `${text[0]!.toUpperCase()}${text.slice(1)}.`;
}
