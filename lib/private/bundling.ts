// How every Herald Lambda is bundled: the one definition shared by the stack (NodejsFunction,
// local esbuild, no Docker) and the benchmarks (esbuild's own API with the same options).
// Only type imports: the benchmarks can load this file without loading aws-cdk-lib.
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { BundlingOptions } from "aws-cdk-lib/aws-lambda-nodejs";
import type { BuildOptions } from "esbuild";

/** The repository root: handlers, package-lock.json and tsconfig.json live here. */
export const PROJECT_ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

/** An ESM bundle has no `require`; bundled CommonJS code calls it for Node built-ins. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** The file the bundle is written to, as NodejsFunction names it for ESM. */
export const BUNDLE_FILE = "index.mjs";

/**
 * The esbuild options, in esbuild's API terms (`esbuild.build({ entryPoints, outfile, ...ESBUILD_OPTIONS })`):
 * Node 24 ESM, minified, with source maps, and everything bundled, the AWS SDK included
 * (the SDK version we tested travels with the code, rather than the runtime's copy).
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
} satisfies BuildOptions;

/** The same options as NodejsFunction's `bundling` (it runs the local esbuild with them). */
export const LAMBDA_BUNDLING: BundlingOptions = {
  forceDockerBundling: false,
  format: ESBUILD_OPTIONS.format as NonNullable<BundlingOptions["format"]>,
  target: ESBUILD_OPTIONS.target,
  mainFields: [...ESBUILD_OPTIONS.mainFields],
  banner: ESBUILD_OPTIONS.banner.js,
  minify: ESBUILD_OPTIONS.minify,
  sourceMap: ESBUILD_OPTIONS.sourcemap,
  sourcesContent: ESBUILD_OPTIONS.sourcesContent,
  bundleAwsSDK: true,
  externalModules: ESBUILD_OPTIONS.external,
  logLevel: ESBUILD_OPTIONS.logLevel as NonNullable<BundlingOptions["logLevel"]>,
};
