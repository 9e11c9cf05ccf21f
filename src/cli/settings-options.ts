import type { LoadSettingsOptions } from "../settings/load.ts";

/** The settings sources named on the command line, on top of the environment's. */
export function settingsSourceOptions(
  values: { config?: string; "ssm-prefix"?: string },
  env: NodeJS.ProcessEnv,
): LoadSettingsOptions {
  const options: LoadSettingsOptions = { env };
  if (values.config !== undefined) options.configFile = values.config;
  if (values["ssm-prefix"] !== undefined) options.ssm = { prefix: values["ssm-prefix"] };
  return options;
}
