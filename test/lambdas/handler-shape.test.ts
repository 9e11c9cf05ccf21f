// Every Lambda has the same shape: a factory over a runtime that tests (and the sandbox) call
// with their own, and the deployed export built from the function's environment.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const LAMBDAS = new URL("../../lambdas/", import.meta.url);
const files = readdirSync(LAMBDAS).filter((file) => file.endsWith(".ts"));

function factoryName(file: string): string {
  const pascal = file
    .replace(/\.ts$/, "")
    .split("-")
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join("");
  return `create${pascal}Handler`;
}

describe("lambdas/", () => {
  it("holds the seven handlers", () => {
    expect(files).toHaveLength(7);
  });

  it.each(files)(
    "%s: export function createXHandler(runtime) and handler = createXHandler(createRuntime(...))",
    (file) => {
      const source = readFileSync(new URL(file, LAMBDAS), "utf8");
      const factory = factoryName(file);
      expect(source).toMatch(new RegExp(`^export function ${factory}\\(runtime: Runtime\\b`, "m"));
      expect(source).toMatch(new RegExp(`^export const handler = ${factory}\\(\\s*createRuntime\\(`, "m"));
      // nothing built at module level besides the deployed handler's runtime
      expect(source.match(/createRuntime\(/g)).toHaveLength(1);
    },
  );
});
