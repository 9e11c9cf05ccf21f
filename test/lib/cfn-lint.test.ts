// cfn-lint (AWS's CloudFormation linter: resource schemas, values, references and best
// practices) on every template Herald synthesizes. Zero findings: each rule Herald does not
// follow is ignored by id, with the reason, in .cfnlintrc. Skipped, saying so, without cfn-lint.
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../lib/private/bundling.ts";
import { removeOutdirs, SYNTH_TIMEOUT_MS } from "../helpers/cdk.ts";
import { synthVariant, VARIANTS, type VariantName } from "../helpers/stack-variants.ts";

afterAll(removeOutdirs);

function cfnLintVersion(): string | undefined {
  try {
    return execFileSync("cfn-lint", ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
}
const version = cfnLintVersion();
if (!version)
  console.warn("cfn-lint is not installed (pip install cfn-lint): the cfn-lint tests are skipped");

describe.skipIf(!version)(`cfn-lint (${version ?? "absent"})`, () => {
  for (const name of Object.keys(VARIANTS) as VariantName[]) {
    it(
      `finds nothing in the ${name} template`,
      () => {
        const { templateFile } = synthVariant(name);
        // The project's .cfnlintrc (ignored rules, with reasons) applies from the project root.
        const run = spawnSync("cfn-lint", ["--format", "parseable", "--", templateFile], {
          cwd: PROJECT_ROOT,
          encoding: "utf8",
        });
        const findings = run.stdout.split("\n").filter((line) => line.trim() !== "");
        expect(run.stderr.trim()).toBe("");
        expect(findings).toEqual([]);
        expect(run.status).toBe(0);
      },
      SYNTH_TIMEOUT_MS,
    );
  }

  it("ignores rules only by id, each with its reason", async () => {
    const { readFileSync } = await import("node:fs");
    const config = readFileSync(join(PROJECT_ROOT, ".cfnlintrc"), "utf8");
    const ignored = [...config.matchAll(/^\s*-\s*([EWI]\d{4})\s*#\s*(.+)$/gm)];
    const listed = [...config.matchAll(/^\s*-\s*(\S+)/gm)].map((m) => m[1]);
    expect(listed).toEqual(ignored.map((m) => m[1])); // every entry is a rule id with a reason
  });
});
