// How long a send-notification invocation must be for an SMTP send to start, from
// SMTPServerTimeout: one fact for the stack (which sizes the function from the settings it
// writes) and for settings validation (which warns when the deployed timeout cannot hold it).
import { SEND_FUNCTION_TIMEOUT_SECONDS, SEND_RESERVE_MS } from "./constants.ts";
import { DEFAULT_SMTP_TIMEOUT_SECONDS } from "./settings/model.ts";
import { SMTP_STAGES_PER_MESSAGE } from "./smtp/options.ts";

/** Lambda's longest timeout. */
export const LAMBDA_MAX_TIMEOUT_SECONDS = 900;

/** SMTPServerTimeouts one send may take: its stages and the final reply (smtpSendBoundMs). */
export const SEND_STAGE_COUNT = SMTP_STAGES_PER_MESSAGE + 1;

/** Seconds one SMTP send may take (its stages and the final reply, smtpSendBoundMs) plus the reserve. */
export function sendNeedsSeconds(stageSeconds: number): number {
  return stageSeconds * SEND_STAGE_COUNT + SEND_RESERVE_MS / 1000;
}

/** How long sends may keep starting in an invocation: 18 s with the defaults (60 s, 10 s stages). */
export const SEND_START_WINDOW_SECONDS =
  SEND_FUNCTION_TIMEOUT_SECONDS - sendNeedsSeconds(DEFAULT_SMTP_TIMEOUT_SECONDS);

/** The send function's timeout for SMTPServerTimeout: the default, or longer to hold a send. */
export function sendFunctionTimeoutSeconds(stageSeconds: number): number {
  return Math.max(
    SEND_FUNCTION_TIMEOUT_SECONDS,
    Math.ceil(sendNeedsSeconds(stageSeconds) + SEND_START_WINDOW_SECONDS),
  );
}

/** The longest SMTPServerTimeout whose send function timeout is within Lambda's. */
export const MAX_DEPLOYABLE_STAGE_SECONDS = Math.floor(
  (LAMBDA_MAX_TIMEOUT_SECONDS - SEND_START_WINDOW_SECONDS - SEND_RESERVE_MS / 1000) / SEND_STAGE_COUNT,
);

/** The longest SMTPServerTimeout a send fits in with `timeoutSeconds`. */
export function maxStageSecondsFor(timeoutSeconds: number): number {
  return Math.floor((timeoutSeconds - SEND_RESERVE_MS / 1000) / SEND_STAGE_COUNT);
}
