// Slow: it imports every module of src/, lib/ (aws-cdk-lib) and sandbox/ to see their exports.
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { HeraldError } from "../../src/errors.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Entry points that run on import: they export no error class. */
const RUNS_ON_IMPORT = new Set(["sandbox/main.ts"]);
/** Modules that re-export a library whole: its error classes are the library's, not Herald's. */
const LIBRARY_FACADES: Record<string, string> = { "src/zod.ts": "zod/mini" };

function modules(folder: string): string[] {
  return readdirSync(path.join(ROOT, folder), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
    .map((file) => path.join(folder, file).split(path.sep).join("/"))
    .filter((file) => !RUNS_ON_IMPORT.has(file))
    .sort();
}

interface ErrorClass {
  module: string;
  name: string;
  prototype: unknown;
}

async function exportedErrorClasses(): Promise<ErrorClass[]> {
  const found: ErrorClass[] = [];
  for (const module of [...modules("src"), ...modules("lib"), ...modules("sandbox")]) {
    const exports = (await import(pathToFileURL(path.join(ROOT, module)).href)) as Record<string, unknown>;
    const facade = LIBRARY_FACADES[module];
    const library = facade ? ((await import(facade)) as Record<string, unknown>) : {};
    for (const [name, value] of Object.entries(exports)) {
      if (library[name] === value) continue;
      if (typeof value === "function" && value.prototype instanceof Error) {
        found.push({ module, name, prototype: (value as { prototype: unknown }).prototype });
      }
    }
  }
  return found;
}

describe("one error family", () => {
  it(
    "every error class src/, lib/ and sandbox/ export extends HeraldError",
    { timeout: 120_000 },
    async () => {
      const classes = await exportedErrorClasses();
      // the families this test was written against: a broken module list would find none
      expect(classes.map((c) => c.name)).toEqual(
        expect.arrayContaining([
          "SettingsRefusedError",
          "FeedTimeoutError",
          "SmtpCredentialsError",
          "FeedbackPublishError",
          "RuntimeConfigError",
          "HeraldConfigError",
          "UsageError",
          "ListenError",
        ]),
      );
      const bare = classes
        .filter((c) => c.prototype !== HeraldError.prototype && !(c.prototype instanceof HeraldError))
        .map((c) => `${c.module}: ${c.name}`);
      expect(bare).toEqual([]);
    },
  );
});
