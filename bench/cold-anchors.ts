/**
 * Cold import against anchors built in the same run: every handler's deployed bundle and two
 * hand-written Lambdas (bench/anchors: SES only, SSM + SES) bundled with the stack's options,
 * each imported by a fresh Node process; the measure is the process's CPU time (user + system,
 * all threads) minus that of `node -e 0`, in interleaved rounds. Deployed means without
 * `--enable-source-maps` (a stack is mapped lazily, src/lambda/stack-traces.ts); variants for
 * that decision: the flag on, and names kept (no identifier minification) without maps.
 *
 *   npx node bench/cold-anchors.ts [rounds]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { BUNDLE_FILE, handlerBuildOptions } from "../lib/private/bundling.ts";
import { deployedEnv } from "./cold-start.ts";
import { cpuMsFrom } from "./cpu-at-exit.ts";
import { lambdaNames } from "./bundles.ts";
import { summarize, type Summary } from "./stats.ts";

const PRELOAD = join(import.meta.dirname, "cpu-at-exit.ts");

/** Budgets (issue 19): cold import CPU over `node -e 0`, as a multiple of anchor (b)'s. */
export const COLD_RATIO_BUDGETS: Record<string, number> = {
  "test-send": 1.15,
  "validate-settings": 1.15,
};
export const DEFAULT_COLD_RATIO_BUDGET = 1.3;

/** The label suffix of a variant run with the flag Node maps stacks with at load. */
export const WITH_MAPS_FLAG = "with --enable-source-maps";

interface Variant {
  label: string;
  file: string;
  sourceMaps: boolean;
}

function cpuOf(args: string[], env: Record<string, string>): number {
  const result = spawnSync(process.execPath, args, {
    env: {
      ...env,
      HERALD_BENCH_CPU_AT_EXIT: "1",
      NODE_OPTIONS: `--import=${PRELOAD}${env.NODE_OPTIONS ? ` ${env.NODE_OPTIONS}` : ""}`,
    },
    stdio: ["ignore", "ignore", "pipe"],
    timeout: 60_000,
  });
  const cpu = cpuMsFrom(result.stderr.toString());
  if (result.status !== 0 || cpu === undefined) {
    throw new Error(
      `node ${args.join(" ")}: exit ${result.status} ${result.stderr.toString().slice(0, 400)}`,
    );
  }
  return cpu;
}

export async function bundle(entry: string, outdir: string, keepNames = false): Promise<string> {
  await build({
    ...handlerBuildOptions(entry, outdir),
    ...(keepNames ? { minifyIdentifiers: false, keepNames: true, sourcemap: false } : {}),
  });
  return join(outdir, BUNDLE_FILE);
}

export interface ColdAnchorResult {
  rounds: number;
  loadBefore: number;
  loadAfter: number;
  baseline: Summary;
  /** CPU ms over `node -e 0` per variant label */
  over: Record<string, Summary>;
}

export async function measureColdAnchors(rounds: number): Promise<ColdAnchorResult> {
  const dir = mkdtempSync(join(tmpdir(), "herald-anchors-"));
  try {
    const variants: Variant[] = [];
    for (const [label, entry] of [
      ["anchor (a) SES only", "bench/anchors/ses-only.ts"],
      ["anchor (b) SSM + SES", "bench/anchors/ssm-ses.ts"],
    ] as const) {
      const file = await bundle(entry, join(dir, label.slice(0, 10).replace(/\W/g, "")));
      variants.push(
        { label, file, sourceMaps: false },
        { label: `${label}, ${WITH_MAPS_FLAG}`, file, sourceMaps: true },
      );
    }
    for (const name of lambdaNames()) {
      const file = await bundle(`lambdas/${name}.ts`, join(dir, name));
      variants.push(
        { label: name, file, sourceMaps: false },
        { label: `${name}, ${WITH_MAPS_FLAG}`, file, sourceMaps: true },
      );
    }
    for (const name of ["send-notification", "test-send"]) {
      const file = await bundle(`lambdas/${name}.ts`, join(dir, `${name}-names`), true);
      variants.push({ label: `${name}, names kept, no maps`, file, sourceMaps: false });
    }
    const env = (sourceMaps: boolean) => deployedEnv("anchor", sourceMaps);
    const loadBefore = loadavg()[0]!;
    const baseline: number[] = [];
    const samples = new Map<string, number[]>(variants.map((v) => [v.label, []]));
    for (let round = 0; round < rounds; round += 1) {
      const order = round % 2 === 0 ? variants : [...variants].reverse();
      baseline.push(cpuOf(["-e", "0"], env(false)));
      for (const variant of order)
        samples.get(variant.label)!.push(cpuOf([variant.file], env(variant.sourceMaps)));
      baseline.push(cpuOf(["-e", "0"], env(false)));
    }
    const base = summarize(baseline);
    const over = Object.fromEntries(
      [...samples].map(([label, values]) => [label, summarize(values.map((v) => v - base.median))]),
    );
    return { rounds, loadBefore, loadAfter: loadavg()[0]!, baseline: base, over };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (s: Summary) => `+${s.median.toFixed(0)} (${s.min.toFixed(0)}..${s.max.toFixed(0)}) ms`;

export function coldAnchorsMarkdown(r: ColdAnchorResult): string {
  const anchor = r.over["anchor (b) SSM + SES"]!.median;
  const lines = [
    `Cold import CPU (user + system) over \`node -e 0\` (${r.baseline.median.toFixed(0)} ms), medians of ${r.rounds} interleaved rounds (range in parentheses); load average ${r.loadBefore.toFixed(1)} -> ${r.loadAfter.toFixed(1)} on ${availableParallelism()} cores.`,
    "",
    "| bundle | CPU over node -e 0 | ratio to anchor (b) | budget | holds |",
    "|---|---|---|---|---|",
  ];
  for (const [label, summary] of Object.entries(r.over)) {
    const deployed = lambdaNames().includes(label);
    const budget = deployed ? (COLD_RATIO_BUDGETS[label] ?? DEFAULT_COLD_RATIO_BUDGET) : undefined;
    const ratio = summary.median / anchor;
    lines.push(
      `| ${label} | ${fmt(summary)} | ${ratio.toFixed(2)}x | ${budget ? `<= ${budget}x` : ""} | ${budget ? (ratio <= budget ? "yes" : "**no**") : ""} |`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const result = await measureColdAnchors(Number(process.argv[2] ?? 7));
  console.log(coldAnchorsMarkdown(result));
}
