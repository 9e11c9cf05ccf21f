// What a security check run reports: here, below operations/, so security/metrics.ts can read it.
export type SecurityCheckStage =
  "settings" | "config" | "state" | "feed" | "bulletin" | "compose" | "send" | "record" | "deadline";

export interface SecurityCheckIssue {
  bulletin?: string;
  admin?: string;
  stage: SecurityCheckStage;
  message: string;
}

/** What one run did (CLI --json and the Lambda's result). */
export interface SecurityCheckSummary {
  /** bulletins the feed listed */
  checked: number;
  /** of those, the ones for the product version */
  applicable: number;
  /** emails sent (one per bulletin and administrator) */
  sent: number;
  /** (bulletin, administrator) pairs already sent, or being sent by an overlapping run */
  skipped: number;
  /**
   * applicable bulletins not looked at because the run reached its cap
   * (HERALD_SECURITY_MAX_BULLETINS); later runs send them. Absent when the cap was not reached.
   */
  deferred?: number;
  errors: SecurityCheckIssue[];
  /** why the check did not run at all (it is disabled in the settings) */
  skippedReason?: string;
}
