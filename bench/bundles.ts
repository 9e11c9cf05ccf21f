/**
 * The Lambdas' production bundles, built exactly as the stack builds them (esbuild's API with
 * lib/private/bundling.ts's handlerBuildOptions: an entry and its code-split chunks), and what each dependency costs in them (from
 * esbuild's metafile). Shared by the cold-path benchmark and the bundle-size guard.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { build, type Metafile } from "esbuild";
import { BUNDLE_FILE, handlerBuildOptions, PROJECT_ROOT } from "../lib/private/bundling.ts";

export const LAMBDAS_DIR = join(PROJECT_ROOT, "lambdas");

export interface LambdaBundle {
  /** the handler's file name without ".ts", e.g. "send-notification" */
  name: string;
  /** absolute path of the written bundle (absent when built without writing) */
  file?: string;
  /** what every cold start loads: the entry and the chunks it imports statically (no maps) */
  bytes: number;
  /** the chunks loaded on first use only (a transport, html-to-text, sanitize-html, ...) */
  lazyBytes: number;
  /** the source maps of all of them */
  mapBytes: number;
  metafile: Metafile;
}

/** Every handler in lambdas/ (one file each), sorted: new Lambdas are picked up by themselves. */
export function lambdaNames(): string[] {
  return readdirSync(LAMBDAS_DIR)
    .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts") && !file.includes(".test."))
    .map((file) => file.slice(0, -".ts".length))
    .sort();
}

/**
 * Bundle one Lambda. With `outdir`, the bundle is written to `<outdir>/<name>/index.mjs` with
 * its chunks beside it (as in the function's asset) so that it can be run; without, it stays
 * in memory.
 */
export async function buildLambda(name: string, outdir?: string): Promise<LambdaBundle> {
  const dir = join(outdir ?? join(PROJECT_ROOT, ".bench-bundles"), name);
  const result = await build({
    ...handlerBuildOptions(`lambdas/${name}.ts`, dir),
    write: outdir !== undefined,
  });
  const metafile = result.metafile!;
  const partial: LambdaBundle = { name, bytes: 0, lazyBytes: 0, mapBytes: 0, metafile };
  const atStart = new Set(startupOutputs(partial));
  for (const [path, output] of Object.entries(metafile.outputs)) {
    if (path.endsWith(".map")) partial.mapBytes += output.bytes;
    else if (atStart.has(path)) partial.bytes += output.bytes;
    else partial.lazyBytes += output.bytes;
  }
  return { ...partial, ...(outdir !== undefined ? { file: join(dir, BUNDLE_FILE) } : {}) };
}

/**
 * The output files a cold start loads: the entry and the chunks it imports statically (esbuild
 * puts code shared by the entry and a lazy chunk in a chunk of its own, imported by both).
 */
export function startupOutputs(bundle: LambdaBundle): string[] {
  const outputs = bundle.metafile.outputs;
  const entry = Object.keys(outputs).find((path) => path.endsWith(`/${BUNDLE_FILE}`));
  const seen = new Set<string>();
  const visit = (path: string | undefined) => {
    if (path === undefined || seen.has(path) || !outputs[path]) return;
    seen.add(path);
    for (const imported of outputs[path]!.imports)
      if (imported.kind === "import-statement") visit(imported.path);
  };
  visit(entry);
  return [...seen];
}

/**
 * Packages no handler may load at a cold start: each is needed only on some paths (an SMTP
 * session or message, a text part derived from HTML, a bulletin to sanitize), so it must sit in
 * a chunk loaded on first use (`await import()`), never in the entry or a chunk it imports.
 */
export const LOADED_ON_FIRST_USE = ["nodemailer", "html-to-text", "sanitize-html"] as const;

/**
 * Packages only the handlers named may load at a cold start: the SES v2 client (78 KB) is
 * loaded by the ses-api transport on its first send, and at start only where every invocation
 * calls SES (validate-settings checks the account); the SQS client (23 KB) with the first
 * dead letter.
 */
export const LOADED_AT_START_ONLY_BY: Readonly<Record<string, readonly string[]>> = {
  "@aws-sdk/client-sesv2": ["validate-settings"],
  "@aws-sdk/client-sqs": [],
};

/** The packages the cold start of the handler `name` must not load. */
export function firstUseOnly(name: string): string[] {
  return [
    ...LOADED_ON_FIRST_USE,
    ...Object.entries(LOADED_AT_START_ONLY_BY)
      .filter(([, handlers]) => !handlers.includes(name))
      .map(([pkg]) => pkg),
  ];
}

/** The packages of firstUseOnly that a cold start of the bundle loads (none, if right). */
export function eagerlyLoaded(bundle: LambdaBundle): string[] {
  const outputs = bundle.metafile.outputs;
  const forbidden = firstUseOnly(bundle.name);
  const found = new Set<string>();
  for (const path of startupOutputs(bundle))
    for (const input of Object.keys(outputs[path]!.inputs)) {
      const owner = ownerOf(input);
      if (forbidden.includes(owner)) found.add(owner);
    }
  return [...found].sort();
}

export interface DependencyCost {
  /** an npm package ("zod", "@aws-sdk/client-ssm") or a Herald folder ("src/settings") */
  name: string;
  /** bytes it contributes to the minified bundle */
  bytes: number;
}

/** The package a bundled input belongs to (the innermost node_modules), or Herald's own folder. */
export function ownerOf(inputPath: string): string {
  const parts = inputPath.split("/");
  const at = parts.lastIndexOf("node_modules");
  if (at >= 0) {
    const first = parts[at + 1] ?? inputPath;
    return first.startsWith("@") ? `${first}/${parts[at + 2] ?? ""}` : first;
  }
  // lambdas/x.ts, src/settings/..., src/runtime.ts
  return parts.length > 2 ? parts.slice(0, 2).join("/") : (parts[0] ?? inputPath);
}

/** Bytes per package (or Herald folder) in the bundle, largest first. */
export function dependencyCosts(bundle: LambdaBundle): DependencyCost[] {
  const costs = new Map<string, number>();
  for (const [path, output] of Object.entries(bundle.metafile.outputs)) {
    if (path.endsWith(".map")) continue;
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const owner = ownerOf(input);
      costs.set(owner, (costs.get(owner) ?? 0) + bytesInOutput);
    }
  }
  return [...costs]
    .map(([name, bytes]) => ({ name, bytes }))
    .filter((cost) => cost.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
}

/**
 * The Node built-ins a bundle loads when it is imported (static imports and `require` calls;
 * dynamic imports are left out: they load later, if ever).
 */
export function builtinImports(bundle: LambdaBundle): string[] {
  const builtins = new Set<string>();
  for (const [path, output] of Object.entries(bundle.metafile.outputs)) {
    if (path.endsWith(".map")) continue;
    for (const entry of output.imports) {
      if (!entry.external || entry.kind === "dynamic-import") continue;
      builtins.add(entry.path.startsWith("node:") ? entry.path : `node:${entry.path}`);
    }
  }
  return [...builtins].sort();
}

export const kb = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KB`;
