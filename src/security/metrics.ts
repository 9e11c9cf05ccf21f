import type { SecurityCheckSummary } from "../operations/security-check.ts";

/** The metrics of one run, all counts: a run with any error counts as failed. */
export function securityCheckMetrics(summary: SecurityCheckSummary): Array<{ name: string; value: number }> {
  return [
    { name: "SecurityBulletinEmailsSent", value: summary.sent },
    { name: "SecurityCheckErrors", value: summary.errors.length },
    { name: "SecurityCheckFailed", value: summary.errors.length > 0 ? 1 : 0 },
    // bulletins left for later runs by the per-run cap: above 0, the feed listed unusually many
    { name: "SecurityBulletinsDeferred", value: summary.deferred ?? 0 },
  ];
}
