// One bundling definition: esbuild's API with ESBUILD_OPTIONS (what the benchmarks build) makes
// exactly the bundle NodejsFunction makes with LAMBDA_BUNDLING (what the stack deploys).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Stack } from "aws-cdk-lib";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BUNDLE_FILE,
  ESBUILD_OPTIONS,
  LAMBDA_BUNDLING,
  PROJECT_ROOT,
} from "../../../lib/private/bundling.ts";
import { HeraldFunction } from "../../../lib/private/herald-function.ts";
import { newApp, removeOutdirs, SYNTH_TIMEOUT_MS } from "../../helpers/cdk.ts";

const ENTRY = "lambdas/validate-settings.ts";
const scratch = mkdtempSync(join(tmpdir(), "herald-esbuild-"));
afterAll(() => {
  removeOutdirs();
  rmSync(scratch, { recursive: true, force: true });
});

describe("the shared bundling options", () => {
  let cdkBundle: string;
  let esbuildBundle: string;
  beforeAll(async () => {
    const app = newApp({}, { bundle: true });
    const stack = new Stack(app, "Bundling");
    new HeraldFunction(stack, "Fn", { entry: ENTRY, description: "d", serviceName: "herald-test" });
    app.synth();
    const [dir] = readdirSync(app.outdir).filter((name) => existsSync(join(app.outdir, name, BUNDLE_FILE)));
    cdkBundle = readFileSync(join(app.outdir, dir!, BUNDLE_FILE), "utf8");
    const outfile = join(scratch, BUNDLE_FILE);
    await build({
      ...ESBUILD_OPTIONS,
      entryPoints: [join(PROJECT_ROOT, ENTRY)],
      outfile,
      absWorkingDir: PROJECT_ROOT,
    });
    esbuildBundle = readFileSync(outfile, "utf8");
  }, SYNTH_TIMEOUT_MS);

  it("produce the same bundle through esbuild's API as through NodejsFunction", () => {
    expect(esbuildBundle.length).toBeGreaterThan(10_000);
    expect(esbuildBundle).toBe(cdkBundle);
  });

  it("are the deployment's: Node 24 ESM, minified, SDK bundled, the createRequire banner", () => {
    expect(LAMBDA_BUNDLING).toMatchObject({
      format: "esm",
      target: "node24",
      minify: true,
      bundleAwsSDK: true,
      externalModules: [],
      forceDockerBundling: false,
      banner: ESBUILD_OPTIONS.banner.js,
    });
    expect(cdkBundle.startsWith("import { createRequire } from 'module';")).toBe(true);
  });
});
