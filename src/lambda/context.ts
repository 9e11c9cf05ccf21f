import type { Context } from "aws-lambda";

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
