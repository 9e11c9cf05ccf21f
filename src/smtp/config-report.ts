import { classifySmtpError } from "./classify.ts";
import type { SmtpConfigError } from "./errors.ts";
import type { SmtpReport } from "./report.ts";

/** The report of an operation refused before any connection (stage "config"). */
export function configReport(error: SmtpConfigError): SmtpReport {
  const { stage, error: info, hint } = classifySmtpError(error, "config");
  return { ok: false, stage, error: info, ...(hint ? { hint } : {}) };
}
