import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envVarName } from "../../../src/constants.ts";
import { loadSettings } from "../../../src/settings/load.ts";
import { SETTINGS, settingPaths } from "../../../src/settings/model.ts";
import { validateLoadedSettings } from "../../../src/settings/validate.ts";

// A password no other generated value will contain by chance.
const password = fc.uuid().map((id) => `Pw-${id}`);

// Values of any JSON type for the known settings, plus unknown keys.
const settingValue = fc.oneof(fc.jsonValue(), fc.string(), fc.boolean(), fc.integer());
const section = fc.oneof(
  fc.dictionary(fc.constantFrom(...SETTINGS.map((d) => d.key), "Other"), settingValue),
  fc.jsonValue(),
);
const config = fc.oneof(
  fc.record(
    { EmailSettings: section, ServiceSettings: section, TeamSettings: section },
    { requiredKeys: [] },
  ),
  fc.jsonValue(),
);
const env = fc.dictionary(
  fc.constantFrom(...SETTINGS.flatMap((d) => settingPaths(d).map(envVarName))),
  fc.string(),
);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "herald-prop-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("settings from arbitrary input", () => {
  it("never throw and never echo the password", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        config,
        env,
        password,
        fc.boolean(),
        fc.nat(),
        async (cfg, vars, secret, truncate, cut) => {
          // The password sits in the file, in the environment, or both; the file may be cut short.
          const withPassword =
            typeof cfg === "object" && cfg !== null && !Array.isArray(cfg)
              ? {
                  ...cfg,
                  EmailSettings: {
                    ...(typeof cfg.EmailSettings === "object" ? cfg.EmailSettings : {}),
                    SMTPPassword: secret,
                  },
                }
              : cfg;
          let text = JSON.stringify(withPassword) ?? "null";
          if (truncate) text = text.slice(0, cut % (text.length + 1));
          const file = join(dir, `config-${run++}.json`);
          await writeFile(file, text);
          const loaded = await loadSettings({
            env: { ...vars, MM_EMAILSETTINGS_SMTPPASSWORD: secret },
            ssm: false,
            configFile: file,
          });
          const result = validateLoadedSettings(loaded);
          expect(typeof result.valid).toBe("boolean");
          expect(JSON.stringify(result)).not.toContain(secret);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("arbitrary environment strings never throw and never echo the password", async () => {
    await fc.assert(
      fc.asyncProperty(env, password, async (vars, secret) => {
        const loaded = await loadSettings({
          env: { ...vars, MM_EMAILSETTINGS_SMTPPASSWORD: secret },
          ssm: false,
        });
        const result = validateLoadedSettings(loaded);
        expect(result.settings.EmailSettings.SMTPPassword).toBe("*".repeat(32));
        expect(JSON.stringify(result)).not.toContain(secret);
      }),
      { numRuns: 500 },
    );
  });
});
