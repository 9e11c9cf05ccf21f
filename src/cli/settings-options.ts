import { ALL_AWS_CLIENTS } from "../aws-clients.ts";
import { createRuntime, RuntimeConfigError, type Runtime } from "../runtime.ts";
import { type CliIo, UsageError } from "./io.ts";

/**
 * The CLI's runtime: built the way a Lambda builds its own, from the command's environment,
 * with the settings sources named on the command line (`--config`, `--ssm-prefix`) over
 * HERALD_CONFIG_FILE and HERALD_PARAMETER_PREFIX. A bad HERALD_* variable is a usage error.
 * The command closes it when done, so nothing outlives the run.
 */
export function openCliRuntime(
  io: CliIo,
  values: { config?: string; "ssm-prefix"?: string },
  serviceName = "herald-cli",
): Runtime {
  try {
    return createRuntime({
      env: io.env,
      mode: "cli",
      serviceName,
      clients: ALL_AWS_CLIENTS,
      ...(values.config !== undefined ? { configFile: values.config } : {}),
      ...(values["ssm-prefix"] !== undefined ? { parameterPrefix: values["ssm-prefix"] } : {}),
    });
  } catch (error) {
    if (error instanceof RuntimeConfigError) throw new UsageError(`${error.message} (${error.hint})`);
    throw error;
  }
}
