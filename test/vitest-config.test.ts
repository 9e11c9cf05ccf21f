// The fast-shared project runs its files in shared processes (isolate: false): each listed file
// must exist and leave nothing behind that another file could see.
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import config from "../vitest.config.ts";

const ROOT = new URL("../", import.meta.url);

/** What a file may not do in a process it shares: each pattern with what it would leave behind. */
const LEAKS: Array<[RegExp, string]> = [
  [/\bvi\.(mock|doMock|stubEnv|stubGlobal|spyOn|useFakeTimers)\b/, "a mock, stub, spy or fake timers"],
  [/\buseFakeClock\b/, "fake timers"],
  [/\bmockClient\b/, "an SDK client patched by aws-sdk-client-mock"],
  [/\bprocess\.(on|once|addListener|prependListener)\(/, "a process listener"],
  [/\bprocess\.env\.[A-Za-z_]+\s*=[^=]/, "a changed environment variable"],
  [/\bnode:child_process\b/, "child processes"],
];

function sharedFiles(): string[] {
  const projects = config.test?.projects ?? [];
  const shared = projects.find(
    (project) => typeof project === "object" && "test" in project && project.test?.name === "fast-shared",
  );
  if (!shared || typeof shared !== "object" || !("test" in shared)) throw new Error("no fast-shared project");
  expect(shared.test?.isolate).toBe(false);
  return shared.test?.include ?? [];
}

describe("the fast-shared project", () => {
  it("lists files that exist", () => {
    const files = sharedFiles();
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(existsSync(new URL(file, ROOT)), file).toBe(true);
  });

  it.each(sharedFiles())("%s leaves nothing behind in a shared process", (file) => {
    const source = readFileSync(new URL(file, ROOT), "utf8");
    const found = LEAKS.filter(([pattern]) => pattern.test(source)).map(([, what]) => what);
    expect(found, `${file}: move it out of fast-shared`).toEqual([]);
  });
});
