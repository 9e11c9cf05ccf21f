import { loadSettings, type LoadedSettings, type LoadSettingsOptions } from "../settings/load.ts";
import { formatProblems } from "./format.ts";
import type { CliIo } from "./io.ts";

/**
 * Load the settings; when a source cannot be read at all (missing file, SSM denied),
 * print why and return undefined so the command exits 2 before doing any work.
 */
export async function loadSettingsOrReport(
  sources: LoadSettingsOptions,
  io: CliIo,
): Promise<LoadedSettings | undefined> {
  const loaded = await loadSettings(sources);
  if (loaded.inputErrors.length === 0) return loaded;
  io.stderr(`cannot read the settings:\n${formatProblems(loaded.inputErrors)}`);
  return undefined;
}
