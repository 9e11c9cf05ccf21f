import { describe, expect, it } from "vitest";
import { appliesToProblem, bulletinApplies } from "../../../src/security/match.ts";

describe("bulletinApplies", () => {
  it.each([
    // Mattermost's rule: the same version string
    ["9.11.2", "9.11.2", true],
    ["9.11.1", "9.11.2", false],
    // semver ranges the version satisfies
    [">=9.0.0 <9.11.3", "9.11.2", true],
    [">=9.0.0 <9.11.2", "9.11.2", false],
    ["9.11.x", "9.11.2", true],
    ["~9.10.0", "9.11.2", false],
    ["^9.0.0", "9.11.2", true],
    ["9.5.0 - 9.11.5", "9.11.2", true],
    ["<=8.1.0 || >=9.11.0", "9.11.2", true],
    ["9", "9.11.2", true],
    // a pre-release of an affected version is affected (not semver's default: safer for alerts)
    [">=9.0.0", "9.12.0-rc1", true],
    [">=9.0.0 <9.11.3", "9.11.0-rc1", true],
    // semver orders a pre-release before its release: 9.11.3-rc1 is before the fixed 9.11.3
    [">=9.0.0 <9.11.3", "9.11.3-rc1", true],
    ["9.12.0-rc1", "9.12.0-rc1", true],
    // anything else does not apply
    ["", "9.11.2", false],
    ["   ", "9.11.2", false],
    ["not a version", "9.11.2", false],
    ["latest", "9.11.2", false],
    ["9.11.2.1", "9.11.2", false],
    // an empty alternative would make semver match every version
    [">=9.0.0 <9.0.5 ||", "9.11.2", false],
    ["||", "9.11.2", false],
    ["|| 1.0.0", "9.11.2", false],
    ["1.0.0 || || 2.0.0", "9.11.2", false],
  ])("%j applies to %s: %s", (appliesTo, version, expected) => {
    expect(bulletinApplies(appliesTo, version)).toBe(expected);
  });

  it.each([">=9.0.0 <9.0.5 ||", "||", " || 9.0.0"])("names applies_to_version for %j", (appliesTo) => {
    expect(appliesToProblem(appliesTo)).toMatch(/^applies_to_version .* empty alternative/);
  });

  it.each(["9.11.2", "<=8.1.0 || >=9.11.0", "not a version"])("finds no range problem in %j", (appliesTo) => {
    expect(appliesToProblem(appliesTo)).toBeUndefined();
  });
});
