// Stacks through a minified bundle name the source function and module once the mapper is
// loaded, with no --enable-source-maps; a frame of a file without a map stays as V8 wrote it.
// Each case runs in a child process: the mapper replaces Error.prepareStackTrace process-wide.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildSync } from "esbuild";
import { afterAll, beforeAll, expect, it } from "vitest";

const MAPPER = pathToFileURL(join(import.meta.dirname, "../../../src/lambda/stack-traces.ts")).href;
let dir: string;
let bundle: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "herald-stack-"));
  const source = join(dir, "src", "settings-store.ts");
  mkdirSync(join(dir, "src"));
  writeFileSync(
    source,
    [
      "export function readSettingsFromStore(path: string): string {",
      "  if (path) throw new Error(`no settings at ${path}`);",
      "  return path;",
      "}",
      "export const loadAll = (paths: string[]) => paths.map((p) => readSettingsFromStore(p));",
    ].join("\n"),
  );
  bundle = join(dir, "out", "index.mjs");
  buildSync({
    entryPoints: [source],
    bundle: true,
    format: "esm",
    minify: true,
    sourcemap: true,
    outfile: bundle,
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function stackFrom(mapper: boolean, file = bundle): string {
  const script = `
${mapper ? `await import(${JSON.stringify(MAPPER)});` : ""}
const { loadAll } = await import(${JSON.stringify(pathToFileURL(file).href)});
try { loadAll(["/herald"]); } catch (error) { process.stdout.write(error.stack); }
`;
  return execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    env: { PATH: process.env.PATH },
  });
}

it("names the source function and module of a minified frame", () => {
  const stack = stackFrom(true);
  expect(stack.split("\n")[0]).toBe("Error: no settings at /herald");
  expect(stack).toMatch(/\n {4}at readSettingsFromStore \(\S*src\/settings-store\.ts:2:\d+\)/);
});

it("without the mapper the same stack names neither", () => {
  const stack = stackFrom(false);
  expect(stack).not.toContain("settings-store.ts");
  expect(stack).not.toContain("readSettingsFromStore");
});

it("leaves a frame of a file without a map as V8 writes it", () => {
  const unmapped = join(dir, "unmapped", "index.mjs");
  mkdirSync(join(dir, "unmapped"));
  cpSync(bundle, unmapped);
  const stack = stackFrom(true, unmapped);
  expect(stack).toMatch(/\n {4}at \S+ \(file:\/\/\S*index\.mjs:\d+:\d+\)/);
  expect(stack).not.toContain("settings-store.ts");
});
