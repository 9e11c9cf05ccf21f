// A Herald handler's Lambda code: its esbuild bundle with chunks (./bundling.ts), built on this
// machine during synthesis. The Docker image is never used: local bundling always succeeds or
// throws esbuild's error, so synth works offline and without Docker.
import { dirname, join } from "node:path";
import { AssetHashType, DockerImage } from "aws-cdk-lib";
import { Code } from "aws-cdk-lib/aws-lambda";
import { bundleHandlerSync, PROJECT_ROOT } from "./bundling.ts";

/** The handler setting for the bundle's entry file. */
export const HANDLER = "index.handler";

/** The code asset for a handler file (relative to the project root). */
export function handlerCode(entry: string): Code {
  // The source path is only a label here: the bundle reads what esbuild resolves.
  return Code.fromAsset(dirname(join(PROJECT_ROOT, entry)), {
    // Hashed from the bundle, not the source tree (node_modules would be read whole).
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry("herald-bundles-locally"),
      // Part of the asset cache key: without the entry, every handler would get the first bundle.
      command: ["esbuild", entry],
      local: {
        tryBundle(outputDir) {
          bundleHandlerSync(entry, outputDir);
          return true;
        },
      },
    },
  });
}
