// EmailSettings.EnableSecurityFixAlert is the documented name (Mattermost's SMTP configuration
// reference); ServiceSettings.EnableSecurityFixAlert, where Mattermost's server model keeps it,
// is read as its alias from every source.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetParametersByPathCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { envVarName, parameterName } from "../../../src/constants.ts";
import { loadSettings, type LoadSettingsOptions } from "../../../src/settings/load.ts";
import { SETTINGS, settingPaths, splitSettingPath } from "../../../src/settings/model.ts";

const DOCUMENTED = "EmailSettings.EnableSecurityFixAlert";
const ALIAS = "ServiceSettings.EnableSecurityFixAlert";

// No local SSM exists: the client is mocked.
const ssm = mockClient(SSMClient);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "herald-alias-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(() => {
  ssm.reset();
});

function configObject(values: Record<string, boolean>): Record<string, Record<string, boolean>> {
  const config: Record<string, Record<string, boolean>> = {};
  for (const [path, value] of Object.entries(values)) {
    const [section, key] = splitSettingPath(path);
    config[section] = { ...config[section], [key]: value };
  }
  return config;
}

/** Load options that give the values (by path) through one source. */
const SOURCES: Record<string, (values: Record<string, boolean>) => Promise<LoadSettingsOptions>> = {
  file: async (values) => {
    const file = join(dir, `config-${Math.random()}.json`);
    await writeFile(file, JSON.stringify(configObject(values)));
    return { env: {}, ssm: false, configFile: file };
  },
  ssm: async (values) => {
    ssm.on(GetParametersByPathCommand).resolves({
      Parameters: Object.entries(values).map(([path, value]) => ({
        Name: parameterName("/herald", path),
        Value: String(value),
        Type: "String",
      })),
    });
    return { env: {}, ssm: { prefix: "/herald", client: new SSMClient({}) } };
  },
  env: async (values) => ({
    env: Object.fromEntries(Object.entries(values).map(([path, value]) => [envVarName(path), String(value)])),
    ssm: false,
  }),
  override: async (values) => ({ env: {}, ssm: false, overrides: configObject(values) }),
};

describe.each(Object.keys(SOURCES))("EnableSecurityFixAlert from %s", (source) => {
  const load = async (values: Record<string, boolean>) => loadSettings(await SOURCES[source]!(values));

  it("reads the documented EmailSettings path", async () => {
    const loaded = await load({ [DOCUMENTED]: false });
    expect(loaded.settings.EmailSettings.EnableSecurityFixAlert).toBe(false);
    expect(loaded.origins.get(DOCUMENTED)?.source).toBe(source);
    expect(loaded.problems).toEqual([]);
  });

  it("reads the ServiceSettings alias", async () => {
    const loaded = await load({ [ALIAS]: false });
    expect(loaded.settings.EmailSettings.EnableSecurityFixAlert).toBe(false);
    expect(loaded.origins.get(DOCUMENTED)?.location).toContain(
      source === "env" ? envVarName(ALIAS) : source === "ssm" ? "/ServiceSettings/" : ALIAS,
    );
    expect(loaded.problems).toEqual([]);
  });

  it("both with the same value: no warning", async () => {
    const loaded = await load({ [DOCUMENTED]: false, [ALIAS]: false });
    expect(loaded.settings.EmailSettings.EnableSecurityFixAlert).toBe(false);
    expect(loaded.problems).toEqual([]);
  });

  it.each([
    { documented: false, alias: true },
    { documented: true, alias: false },
  ])(
    "both, documented $documented and alias $alias: the documented one wins, with a warning naming both",
    async ({ documented, alias }) => {
      const loaded = await load({ [ALIAS]: alias, [DOCUMENTED]: documented });
      expect(loaded.settings.EmailSettings.EnableSecurityFixAlert).toBe(documented);
      expect(loaded.problems).toEqual([
        expect.objectContaining({ setting: DOCUMENTED, severity: "warning", source, code: "EALIAS" }),
      ]);
      const [warning] = loaded.problems;
      const name = (path: string) =>
        source === "env" ? envVarName(path) : source === "ssm" ? parameterName("/herald", path) : path;
      expect(warning?.message).toContain(name(DOCUMENTED));
      expect(warning?.message).toContain(name(ALIAS));
      expect(warning?.fix).toContain(ALIAS);
    },
  );
});

describe("aliases across sources", () => {
  it("a higher source's alias overrides a lower source's documented path", async () => {
    const file = join(dir, "documented.json");
    await writeFile(file, JSON.stringify(configObject({ [DOCUMENTED]: true })));
    const loaded = await loadSettings({
      env: { [envVarName(ALIAS)]: "false" },
      ssm: false,
      configFile: file,
    });
    expect(loaded.settings.EmailSettings.EnableSecurityFixAlert).toBe(false);
    expect(loaded.problems).toEqual([]);
  });

  it("an alias that does not parse is reported where it came from", async () => {
    const loaded = await loadSettings({ env: { [envVarName(ALIAS)]: "nope" }, ssm: false });
    expect(loaded.problems).toEqual([
      expect.objectContaining({
        setting: DOCUMENTED,
        severity: "error",
        message: expect.stringContaining(envVarName(ALIAS)),
      }),
    ]);
    expect(loaded.settings.EmailSettings.EnableSecurityFixAlert).toBe(true);
  });

  it("every alias is a path no setting uses as its own, in a known section", () => {
    const own = new Set(SETTINGS.map((def) => def.path));
    for (const def of SETTINGS) {
      for (const alias of settingPaths(def).slice(1)) {
        expect(own.has(alias)).toBe(false);
        expect(["EmailSettings", "ServiceSettings", "TeamSettings"]).toContain(splitSettingPath(alias)[0]);
      }
    }
  });
});
