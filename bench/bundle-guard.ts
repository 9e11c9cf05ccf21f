/**
 * Bundle-size guard (run by .ci/run): builds every Lambda as the stack does and fails when what
 * its cold start loads (the entry and the chunks it imports statically) is more than 10% larger than the size committed in bench/bundle-sizes.json, or when
 * a Lambda has no committed size yet.
 *
 *   npx node bench/bundle-guard.ts            check (exit 1 on a violation)
 *   npx node bench/bundle-guard.ts --update   write the current sizes (commit the file)
 *
 * It also fails when a cold start loads a package that must load on first use only
 * (bundles.ts's firstUseOnly: nodemailer, html-to-text, sanitize-html everywhere; the SES v2
 * client outside validate-settings).
 *
 * A bundle that shrank passes; --update then records the smaller size, so the next growth is
 * measured from there.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  buildLambda,
  dependencyCosts,
  eagerlyLoaded,
  kb,
  lambdaNames,
  type LambdaBundle,
} from "./bundles.ts";

export const SIZES_FILE = join(import.meta.dirname, "bundle-sizes.json");

/** How much a bundle may grow over its committed size before the guard fails. */
export const ALLOWED_GROWTH = 0.1;

export interface SizeCheck {
  name: string;
  bytes: number;
  /** the committed size, absent for a new Lambda */
  committed?: number;
  ok: boolean;
  message: string;
}

/** The committed sizes: `{ "<lambda>": bytes }`. */
export function readCommittedSizes(file = SIZES_FILE): Record<string, number> {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, number>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
}

export function checkSize(name: string, bytes: number, committed: number | undefined): SizeCheck {
  if (committed === undefined) {
    return {
      name,
      bytes,
      ok: false,
      message: `${name}: ${kb(bytes)}, no committed size (run: npx node bench/bundle-guard.ts --update)`,
    };
  }
  const growth = bytes / committed - 1;
  const change = `${growth >= 0 ? "+" : ""}${(growth * 100).toFixed(1)}%`;
  const ok = growth <= ALLOWED_GROWTH;
  return {
    name,
    bytes,
    committed,
    ok,
    message: `${name}: ${kb(bytes)} (committed ${kb(committed)}, ${change})${ok ? "" : ` over the ${ALLOWED_GROWTH * 100}% allowed`}`,
  };
}

function largestDependencies(bundle: LambdaBundle, count = 5): string {
  return dependencyCosts(bundle)
    .slice(0, count)
    .map((cost) => `${cost.name} ${kb(cost.bytes)}`)
    .join(", ");
}

async function main(args: string[]): Promise<number> {
  const update = args.includes("--update");
  const committed = readCommittedSizes();
  const bundles = await Promise.all(lambdaNames().map((name) => buildLambda(name)));
  if (update) {
    const sizes = Object.fromEntries(bundles.map((bundle) => [bundle.name, bundle.bytes]));
    writeFileSync(SIZES_FILE, `${JSON.stringify(sizes, null, 2)}\n`);
    for (const bundle of bundles) console.log(`${bundle.name}: ${kb(bundle.bytes)}`);
    console.log(`bundle sizes written to ${SIZES_FILE}`);
    return 0;
  }
  let failed = false;
  for (const bundle of bundles) {
    const check = checkSize(bundle.name, bundle.bytes, committed[bundle.name]);
    console.log(`${check.ok ? "ok  " : "FAIL"} ${check.message}`);
    if (!check.ok) {
      failed = true;
      console.log(`     largest: ${largestDependencies(bundle)}`);
    }
    const eager = eagerlyLoaded(bundle);
    if (eager.length > 0) {
      failed = true;
      console.log(
        `FAIL ${bundle.name}: its cold start loads ${eager.join(", ")}; import it with \`await import()\` where it is used`,
      );
    }
  }
  const gone = Object.keys(committed).filter((name) => !bundles.some((bundle) => bundle.name === name));
  if (gone.length > 0)
    console.log(`note: no Lambda for committed size(s) ${gone.join(", ")} (--update drops them)`);
  if (failed) {
    console.log(
      "Bundle size guard: a bundle grew more than 10%, or loads at a cold start what it should load on first use. Find the new dependency with the list above " +
        "(npm run bench shows every dependency's cost); if the growth is wanted, run " +
        "`npx node bench/bundle-guard.ts --update` and commit bench/bundle-sizes.json.",
    );
  }
  return failed ? 1 : 0;
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
