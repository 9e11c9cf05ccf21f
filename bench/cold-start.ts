// How a benchmark starts a handler's bundle as Lambda would.
/**
 * The environment of a deployed Herald function (lib/private/herald-function.ts): the same
 * Powertools variables and a region; `sourceMaps` adds the `--enable-source-maps` flag the
 * functions no longer carry (stacks are mapped lazily), to measure what it costs. Nothing is called at
 * import time, so no endpoint is needed.
 */
export function deployedEnv(name: string, sourceMaps: boolean): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    AWS_REGION: "us-east-1",
    AWS_LAMBDA_FUNCTION_NAME: `herald-${name}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "256",
    POWERTOOLS_SERVICE_NAME: `herald-${name}`,
    POWERTOOLS_LOG_LEVEL: "INFO",
    POWERTOOLS_METRICS_NAMESPACE: "Herald",
    HERALD_PARAMETER_PREFIX: "/herald",
    ...(sourceMaps ? { NODE_OPTIONS: "--enable-source-maps" } : {}),
  };
}
