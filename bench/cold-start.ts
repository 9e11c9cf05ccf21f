/**
 * Cold path: each Lambda's production bundle size, and the time a fresh Node 24 process takes
 * to import it (what a Lambda's init phase does) minus the time of `node -e 0`, interleaved
 * round by round so both see the same machine load.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  buildLambda,
  builtinImports,
  dependencyCosts,
  lambdaNames,
  type DependencyCost,
  type LambdaBundle,
} from "./bundles.ts";
import { summarize, type Summary } from "./stats.ts";

/** Budgets from issue 12: bytes and milliseconds over `node -e 0`. */
export const COLD_BUDGETS: Record<string, { bytes: number; importMs: number }> = {
  "test-send": { bytes: 500 * 1024, importMs: 60 },
  "send-notification": { bytes: 500 * 1024, importMs: 60 },
  "validate-settings": { bytes: 250 * 1024, importMs: 35 },
  "security-alert-check": { bytes: 250 * 1024, importMs: 35 },
};

/**
 * The environment of a deployed Herald function (lib/private/herald-function.ts): the same
 * NODE_OPTIONS (source maps on) and Powertools variables, and a region. Nothing is called at
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

/** Wall time of one fresh Node process running `args`, in ms. */
function timeProcess(args: string[], env: Record<string, string>): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, {
    env,
    stdio: ["ignore", "ignore", "pipe"],
    timeout: 30_000,
  });
  const elapsed = performance.now() - started;
  if (result.status !== 0) {
    throw new Error(
      `node ${args.join(" ")} exited ${result.status}: ${result.stderr.toString().slice(0, 500)}`,
    );
  }
  return elapsed;
}

export interface ColdResult {
  name: string;
  bytes: number;
  mapBytes: number;
  /** ms to import the bundle in a fresh process, as deployed (source maps on) */
  importMs: Summary;
  /** the same with NODE_OPTIONS unset (what --enable-source-maps costs) */
  importNoMapsMs: Summary;
  /** import minus `node -e 0`, both medians */
  overheadMs: number;
  overheadNoMapsMs: number;
  /** the Node built-ins the bundle loads, imported alone: the floor under the import time */
  builtins: string[];
  builtinsOverheadMs: number;
  costs: DependencyCost[];
  budget?: { bytes: number; importMs: number };
}

export interface ColdPathResult {
  runs: number;
  baselineMs: Summary;
  lambdas: ColdResult[];
}

export async function runColdPath(options: {
  runs: number;
  log?: (line: string) => void;
}): Promise<ColdPathResult> {
  const log = options.log ?? (() => undefined);
  const outdir = mkdtempSync(join(tmpdir(), "herald-bench-bundles-"));
  try {
    const bundles: LambdaBundle[] = [];
    // one at a time: esbuild itself is parallel, and the machine has 2 cores
    for (const name of lambdaNames()) bundles.push(await buildLambda(name, outdir));
    log(`built ${bundles.length} bundles`);

    const baseline: number[] = [];
    const times = new Map<string, { maps: number[]; noMaps: number[]; builtins: number[] }>(
      bundles.map((b) => [b.name, { maps: [], noMaps: [], builtins: [] }]),
    );
    // next to each bundle: a module that imports only the built-ins the bundle loads
    const builtinsFile = (bundle: LambdaBundle) => join(dirname(bundle.file ?? ""), "builtins.mjs");
    for (const bundle of bundles) {
      writeFileSync(
        builtinsFile(bundle),
        builtinImports(bundle)
          .map((b) => `import "${b}";\n`)
          .join(""),
      );
    }
    // warm the file cache once so the first round is not an outlier
    timeProcess(["-e", "0"], deployedEnv("baseline", false));
    for (const bundle of bundles) timeProcess([bundle.file ?? ""], deployedEnv(bundle.name, true));
    for (let round = 0; round < options.runs; round++) {
      baseline.push(timeProcess(["-e", "0"], deployedEnv("baseline", false)));
      for (const bundle of bundles) {
        const entry = times.get(bundle.name);
        const file = bundle.file ?? "";
        entry?.maps.push(timeProcess([file], deployedEnv(bundle.name, true)));
        entry?.noMaps.push(timeProcess([file], deployedEnv(bundle.name, false)));
        entry?.builtins.push(timeProcess([builtinsFile(bundle)], deployedEnv(bundle.name, false)));
      }
      log(`cold path round ${round + 1}/${options.runs}`);
    }
    const baselineMs = summarize(baseline);
    return {
      runs: options.runs,
      baselineMs,
      lambdas: bundles.map((bundle) => {
        const entry = times.get(bundle.name) ?? { maps: [], noMaps: [], builtins: [] };
        const importMs = summarize(entry.maps);
        const importNoMapsMs = summarize(entry.noMaps);
        const budget = COLD_BUDGETS[bundle.name];
        return {
          name: bundle.name,
          bytes: bundle.bytes,
          mapBytes: bundle.mapBytes,
          importMs,
          importNoMapsMs,
          overheadMs: importMs.median - baselineMs.median,
          overheadNoMapsMs: importNoMapsMs.median - baselineMs.median,
          builtins: builtinImports(bundle),
          builtinsOverheadMs: summarize(entry.builtins).median - baselineMs.median,
          costs: dependencyCosts(bundle),
          ...(budget ? { budget } : {}),
        };
      }),
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
