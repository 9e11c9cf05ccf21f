import type { HeraldSettings } from "../settings/model.ts";
import { blockingProblems } from "../settings/validate.ts";
import { SettingsRefusedError } from "./errors.ts";

/**
 * What must be true before Herald opens a connection (no DNS, no socket): the validation
 * rules tagged as blocking a connection, and a login when it logs in (settings/validate.ts
 * holds them all). Returns the refusal, or undefined.
 */
export function checkBeforeConnecting(
  settings: HeraldSettings,
  login: boolean,
): SettingsRefusedError | undefined {
  const problems = blockingProblems(settings, { login });
  return problems.length > 0 ? new SettingsRefusedError(problems) : undefined;
}
