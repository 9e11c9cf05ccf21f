/**
 * What was tried, measured again in every run (so BENCHMARKS.md shows it on this machine, side
 * by side): the cost of zod's import styles in a bundle, leaving the AWS SDK out of the bundle
 * (to the Lambda runtime's copy), and html-to-text's `convert` (which compiles its options on
 * every call) against a converter compiled once.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { compile, convert } from "html-to-text";
import { BUNDLE_FILE, ESBUILD_OPTIONS, PROJECT_ROOT } from "../lib/private/bundling.ts";
import { LAMBDAS_DIR } from "./bundles.ts";
import { deployedEnv } from "./cold-start.ts";
import { notificationEvent } from "./events.ts";
import { summarize, type Summary } from "./stats.ts";

/** One zod schema, three ways of importing zod. */
const ZOD_VARIANTS: Array<{ name: string; source: string }> = [
  {
    name: 'import { z } from "zod"',
    source: `import { z } from "zod";\nexport const s = z.object({ id: z.string().min(1), to: z.array(z.email()).min(1).max(50) });\nconsole.log(typeof s);`,
  },
  {
    name: 'import * as z from "zod"',
    source: `import * as z from "zod";\nexport const s = z.object({ id: z.string().min(1), to: z.array(z.email()).min(1).max(50) });\nconsole.log(typeof s);`,
  },
  {
    name: 'import * as z from "zod/mini"',
    source: `import * as z from "zod/mini";\nexport const s = z.object({ id: z.string().check(z.minLength(1)), to: z.array(z.email()).check(z.minLength(1), z.maxLength(50)) });\nconsole.log(typeof s);`,
  },
];

export interface ZodVariant {
  name: string;
  bytes: number;
  /** import time minus `node -e 0`, medians */
  overheadMs: number;
  importMs: Summary;
}

export interface HtmlToTextResult {
  calls: number;
  /** microseconds per call */
  convertUs: Summary;
  compiledUs: Summary;
}

export interface SdkExternalResult {
  name: string;
  bundledBytes: number;
  externalBytes: number;
  /** import time minus `node -e 0`, medians, as deployed (source maps on) */
  bundledOverheadMs: number;
  externalOverheadMs: number;
}

export interface ExperimentsResult {
  zod: ZodVariant[];
  zodBaselineMs: Summary;
  sdkExternal: SdkExternalResult[];
  htmlToText: HtmlToTextResult;
}

/** The Lambdas the SDK experiment bundles both ways. */
const SDK_EXPERIMENT_LAMBDAS = ["validate-settings", "send-notification"];

function timeNode(args: string[]): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, {
    stdio: "ignore",
    env: { PATH: process.env.PATH ?? "" },
  });
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} exited ${result.status}`);
  return performance.now() - started;
}

async function zodVariants(runs: number): Promise<{ variants: ZodVariant[]; baseline: Summary }> {
  const dir = mkdtempSync(join(tmpdir(), "herald-bench-zod-"));
  try {
    const built = [];
    for (const [i, variant] of ZOD_VARIANTS.entries()) {
      const outfile = join(dir, `zod-${i}.mjs`);
      const result = await build({
        stdin: {
          contents: variant.source,
          resolveDir: PROJECT_ROOT,
          loader: "ts",
          sourcefile: `zod-${i}.ts`,
        },
        outfile,
        metafile: true,
        ...ESBUILD_OPTIONS,
        mainFields: [...ESBUILD_OPTIONS.mainFields],
        external: [...ESBUILD_OPTIONS.external],
        sourcemap: false,
      });
      const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
      built.push({ ...variant, outfile, bytes, times: [] as number[] });
    }
    const baseline: number[] = [];
    for (let round = 0; round < runs; round++) {
      baseline.push(timeNode(["-e", "0"]));
      for (const variant of built) variant.times.push(timeNode([variant.outfile]));
    }
    const base = summarize(baseline);
    return {
      baseline: base,
      variants: built.map((variant) => {
        const importMs = summarize(variant.times);
        return {
          name: variant.name,
          bytes: variant.bytes,
          importMs,
          overheadMs: importMs.median - base.median,
        };
      }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The AWS SDK bundled (as the stack does) or left out (`@aws-sdk/*`, `@smithy/*` external, as
 * when a function uses the Lambda runtime's SDK): size and import time. The bundles are
 * written under node_modules/.cache so that Node resolves the external packages from the
 * project's node_modules (the runtime's copy is the same kind of files).
 */
async function sdkExternal(runs: number): Promise<SdkExternalResult[]> {
  const cache = join(PROJECT_ROOT, "node_modules", ".cache");
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, "herald-bench-sdk-"));
  try {
    const built = [];
    for (const name of SDK_EXPERIMENT_LAMBDAS) {
      const variant = async (kind: string, external: string[]) => {
        const outfile = join(dir, `${name}-${kind}`, BUNDLE_FILE);
        const result = await build({
          entryPoints: [join(LAMBDAS_DIR, `${name}.ts`)],
          outfile,
          metafile: true,
          ...ESBUILD_OPTIONS,
          mainFields: [...ESBUILD_OPTIONS.mainFields],
          external,
          absWorkingDir: PROJECT_ROOT,
        });
        const bytes = Object.entries(result.metafile.outputs)
          .filter(([path]) => !path.endsWith(".map"))
          .reduce((sum, [, output]) => sum + output.bytes, 0);
        return { outfile, bytes, times: [] as number[] };
      };
      built.push({
        name,
        bundled: await variant("bundled", [...ESBUILD_OPTIONS.external]),
        external: await variant("external", ["@aws-sdk/*", "@smithy/*", "@aws-crypto/*"]),
      });
    }
    const baseline: number[] = [];
    const time = (file: string, name: string) => {
      const started = performance.now();
      const result = spawnSync(process.execPath, [file], { stdio: "ignore", env: deployedEnv(name, true) });
      if (result.status !== 0) throw new Error(`node ${file} exited ${result.status}`);
      return performance.now() - started;
    };
    for (let round = 0; round < runs; round++) {
      baseline.push(timeNode(["-e", "0"]));
      for (const b of built) {
        b.bundled.times.push(time(b.bundled.outfile, b.name));
        b.external.times.push(time(b.external.outfile, b.name));
      }
    }
    const base = summarize(baseline).median;
    return built.map((b) => ({
      name: b.name,
      bundledBytes: b.bundled.bytes,
      externalBytes: b.external.bytes,
      bundledOverheadMs: summarize(b.bundled.times).median - base,
      externalOverheadMs: summarize(b.external.times).median - base,
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function htmlToTextCost(calls: number, runs: number): HtmlToTextResult {
  const html = Array.from({ length: calls }, (_, i) => String(notificationEvent(i).html));
  const options = { wordwrap: 78 };
  const compiled = compile(options);
  const timeCalls = (convertOne: (input: string) => string): number => {
    const started = performance.now();
    for (const input of html) convertOne(input);
    return ((performance.now() - started) * 1000) / calls;
  };
  // warm both up, then alternate
  timeCalls((input) => convert(input, options));
  timeCalls(compiled);
  const convertUs: number[] = [];
  const compiledUs: number[] = [];
  for (let round = 0; round < runs; round++) {
    convertUs.push(timeCalls((input) => convert(input, options)));
    compiledUs.push(timeCalls(compiled));
  }
  return { calls, convertUs: summarize(convertUs), compiledUs: summarize(compiledUs) };
}

export async function runExperiments(options: { runs: number }): Promise<ExperimentsResult> {
  const { variants, baseline } = await zodVariants(options.runs);
  return {
    zod: variants,
    zodBaselineMs: baseline,
    sdkExternal: await sdkExternal(options.runs),
    htmlToText: htmlToTextCost(300, options.runs),
  };
}
