// How every Herald Lambda is bundled: the one definition shared by the stack (Code.fromAsset
// with local bundling through esbuild's API, no Docker) and the benchmarks and guard.
// No aws-cdk-lib here: the benchmarks load this file without it (the CDK side is
// ./handler-code.ts).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync, type BuildOptions, type BuildResult, type Metafile } from "esbuild";

/** The repository root: handlers, package-lock.json and tsconfig.json live here. */
export const PROJECT_ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

/** An ESM bundle has no `require`; bundled CommonJS code calls it for Node built-ins. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** The file Lambda loads (handler `index.handler`); the chunks it imports sit beside it. */
export const BUNDLE_FILE = "index.mjs";

/** Where the code-split chunks go, relative to the asset directory. */
export const CHUNKS_DIR = "chunks";

/**
 * The esbuild options, in esbuild's API terms: Node 24 ESM, minified, with source maps, and
 * everything bundled, the AWS SDK included (the SDK version we tested travels with the code,
 * rather than the runtime's copy). Code splitting: what a handler imports with `await
 * import()` (a transport, html-to-text, sanitize-html, the SES client) goes to chunks that
 * load on first use, so a cold start loads only the entry. NodejsFunction cannot do this (it
 * always passes --outfile, which esbuild refuses with splitting).
 */
export const ESBUILD_OPTIONS = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node24",
  mainFields: ["module", "main"],
  banner: { js: ESM_REQUIRE_BANNER },
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  external: [],
  logLevel: "warning",
  splitting: true,
  entryNames: "index",
  chunkNames: `${CHUNKS_DIR}/[name]-[hash]`,
  outExtension: { ".js": ".mjs" },
} satisfies BuildOptions;

/**
 * Injected into every handler bundle: maps a stack trace through the bundle's source maps
 * when it is first formatted, so the Lambda needs no --enable-source-maps (which parses every
 * map at each cold start).
 */
export const STACK_TRACES_MODULE = "src/lambda/stack-traces.ts";

/** The full build options for one handler written to `outdir` (`index.mjs` and its chunks). */
export function handlerBuildOptions(entry: string, outdir: string): BuildOptions {
  return {
    ...ESBUILD_OPTIONS,
    // readonly arrays in the shared constant; esbuild wants mutable ones
    mainFields: [...ESBUILD_OPTIONS.mainFields],
    external: [...ESBUILD_OPTIONS.external],
    entryPoints: [join(PROJECT_ROOT, entry)],
    inject: [join(PROJECT_ROOT, STACK_TRACES_MODULE)],
    outdir,
    absWorkingDir: PROJECT_ROOT,
    metafile: true,
  };
}

/**
 * Bundle one handler (a path relative to the project root) into `outdir`, synchronously: CDK
 * constructs build their assets during synthesis, which cannot wait on a promise.
 */
export function bundleHandlerSync(entry: string, outdir: string): BuildResult & { metafile: Metafile } {
  return buildSync(handlerBuildOptions(entry, outdir)) as BuildResult & { metafile: Metafile };
}
