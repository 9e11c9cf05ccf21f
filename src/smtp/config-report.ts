import { classifySmtpError } from "./classify.ts";
import type { StagedError } from "./errors.ts";
import type { SmtpReport } from "./report.ts";

/** The report of an operation refused before any connection (stage "config"). */
export function configReport(error: StagedError): SmtpReport {
  const { stage, error: info, hint } = classifySmtpError(error, "config");
  return { ok: false, stage, error: info, ...(hint ? { hint } : {}) };
}
