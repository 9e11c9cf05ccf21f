// The README is the front door: keep its settings reference and command list true.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { envVarName } from "../src/constants.ts";
import { PASSWORD_GUARDS } from "../src/operations/overrides.ts";
import { SETTINGS, settingPaths } from "../src/settings/model.ts";
import { projectRoot, runHerald } from "./helpers/run-herald.ts";

const readme = await readFile(join(projectRoot, "README.md"), "utf8");

describe("README", () => {
  it.each(SETTINGS.flatMap(settingPaths))(
    "documents %s with its environment variable and SSM parameter",
    (path) => {
      expect(readme).toContain(`\`${path}\``);
      expect(readme).toContain(`\`${envVarName(path)}\``);
      expect(readme).toContain(`\`/${path.replace(".", "/")}\``);
    },
  );

  it.each(SETTINGS.map((def) => [def.path, def] as const))(
    "gives %s the schema's default and marks secrets",
    (path, def) => {
      const row = readme.split("\n").find((line) => line.startsWith("|") && line.includes(`| \`${path}\``));
      expect(row, `a settings table row for ${path}`).toBeDefined();
      const defaultColumn = row?.split("|").at(-2)?.trim() ?? "";
      const expected =
        def.default === undefined
          ? "`false` if ConnectionSecurity"
          : `\`${def.default === "" ? '""' : def.default}\``;
      expect(defaultColumn.startsWith(expected)).toBe(true);
      expect(row?.includes("(secret)")).toBe(def.secret);
    },
  );

  it("names every setting the re-enter-password rule covers", () => {
    const rule =
      /test-send is Mattermost's "Test Connection"[\s\S]*?EPASSWORDREQUIRED/.exec(readme)?.[0] ?? "";
    for (const def of PASSWORD_GUARDS) expect(rule).toContain(`\`${def.key}\``);
  });

  it("documents every CLI command", async () => {
    const help = await runHerald(["--help"]);
    const commands = [...help.stdout.matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1]);
    expect(commands.length).toBeGreaterThan(3);
    for (const command of commands) expect(readme).toContain(`herald ${command}`);
  });

  it("names the two commands", () => {
    expect(readme).toContain("npm ci && npm start");
    expect(readme).toContain("npm test");
  });
});
