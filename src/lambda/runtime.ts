import { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";
import type { LoadSettingsOptions } from "../settings/load.ts";

/** Structured JSON logs, one line per outcome; settings and secrets are never logged. */
export function createLogger(serviceName = "herald"): Logger {
  return new Logger({ serviceName });
}

/**
 * When the work must be over: the invocation's remaining time less a margin to build and
 * return the result, so a slow server gives a classified timeout rather than a killed
 * function.
 */
export function deadlineFrom(
  context: Pick<Context, "getRemainingTimeInMillis"> | undefined,
  marginMs = 1000,
): number | undefined {
  const remaining = context?.getRemainingTimeInMillis?.();
  if (typeof remaining !== "number" || !Number.isFinite(remaining)) return undefined;
  return Date.now() + Math.max(remaining - marginMs, 0);
}

/** In a Lambda, settings come from HERALD_CONFIG_FILE, HERALD_PARAMETER_PREFIX and MM_* variables. */
export function lambdaSettingsSources(env: NodeJS.ProcessEnv = process.env): LoadSettingsOptions {
  return { env };
}
