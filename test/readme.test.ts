// The README is the front door and docs/ the reference behind it: keep both true. The settings
// table (docs/settings.md), the command list (docs/cli.md) and every link between them.
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { envVarName } from "../src/constants.ts";
import { PASSWORD_GUARDS } from "../src/operations/overrides.ts";
import { SETTINGS, settingPaths } from "../src/settings/model.ts";
import { projectRoot, runHerald } from "./helpers/run-herald.ts";

const read = (path: string) => readFile(join(projectRoot, path), "utf8");
const readme = await read("README.md");
const settingsDoc = await read("docs/settings.md");
const cliDoc = await read("docs/cli.md");
const docFiles = (await readdir(join(projectRoot, "docs"))).filter((name) => name.endsWith(".md"));

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

async function anchorsIn(path: string): Promise<string[]> {
  const text = await readFile(path, "utf8");
  return [...text.matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchorOf(match[1]!));
}

describe("docs/settings.md", () => {
  it.each(SETTINGS.flatMap(settingPaths))(
    "documents %s with its environment variable and SSM parameter",
    (path) => {
      expect(settingsDoc).toContain(`\`${path}\``);
      expect(settingsDoc).toContain(`\`${envVarName(path)}\``);
      expect(settingsDoc).toContain(`\`/${path.replace(".", "/")}\``);
    },
  );

  it.each(SETTINGS.map((def) => [def.path, def] as const))(
    "gives %s the schema's default and marks secrets",
    (path, def) => {
      const row = settingsDoc
        .split("\n")
        .find((line) => line.startsWith("|") && line.includes(`| \`${path}\``));
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
      /test-send is Mattermost's "Test Connection"[\s\S]*?EPASSWORDREQUIRED/.exec(settingsDoc)?.[0] ?? "";
    for (const def of PASSWORD_GUARDS) expect(rule).toContain(`\`${def.key}\``);
  });
});

describe("docs/cli.md", () => {
  it("documents every CLI command", async () => {
    const help = await runHerald(["--help"]);
    const commands = [...help.stdout.matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1]);
    expect(commands.length).toBeGreaterThan(3);
    for (const command of commands) expect(cliDoc).toContain(`herald ${command}`);
  });
});

describe("README", () => {
  it("names the two commands", () => {
    expect(readme).toContain("npm ci && npm start");
    expect(readme).toContain("npm test");
  });

  it("stays a door: about 150 lines", () => {
    expect(readme.split("\n").length).toBeLessThanOrEqual(160);
  });

  it("links every file in docs/", () => {
    for (const name of docFiles) expect(readme).toContain(`](docs/${name})`);
  });

  it("gives every cdk command the two required context keys", () => {
    const commands = readme.match(/^\s*npx cdk (bootstrap|deploy|synth)\b.*$/gm) ?? [];
    expect(commands.length).toBeGreaterThanOrEqual(2);
    for (const command of commands) expect(command).toMatch(/-c domain=\S+ -c adminEmails=\S+/);
  });
});

describe("links in the README and docs/", () => {
  const pages = ["README.md", ...docFiles.map((name) => `docs/${name}`)];

  it.each(pages)("%s: every relative link reaches a file, and its anchor a heading", async (page) => {
    const text = await read(page);
    const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!);
    const broken: string[] = [];
    for (const link of links.filter((target) => !/^[a-z]+:/.test(target))) {
      const [file, anchor] = link.split("#") as [string, string | undefined];
      const target = file === "" ? join(projectRoot, page) : join(projectRoot, dirname(page), file);
      if (!existsSync(target) || !target.startsWith(projectRoot)) {
        broken.push(`${link} (no file ${relative(projectRoot, target)})`);
      } else if (anchor !== undefined && !(await anchorsIn(target)).includes(anchor)) {
        broken.push(`${link} (no heading #${anchor})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it.each(pages)("%s: names nothing outside the clone (../shared/DESIGN.md)", async (page) => {
    expect(await read(page)).not.toMatch(/\.\.\/shared|DESIGN\.md/);
  });
});
