// Only the two functions used: the package's index loads all of semver at a cold start.
import satisfies from "semver/functions/satisfies.js";
import validRange from "semver/ranges/valid.js";

/**
 * Does a bulletin apply to this product version? Mattermost's rule is string equality;
 * a semver range the version satisfies (">=9.0.0 <9.11.3", "9.11.x") applies too. Anything
 * else, an empty value included, does not.
 */
export function bulletinApplies(appliesToVersion: string, productVersion: string): boolean {
  const wanted = appliesToVersion.trim();
  if (wanted === "" || appliesToProblem(wanted) !== undefined) return false;
  if (wanted === productVersion) return true;
  if (validRange(wanted) === null) return false;
  // A pre-release of an affected version is affected too: for security alerts, missing one
  // is worse than an extra email (semver leaves pre-releases out of ranges by default).
  return satisfies(productVersion, wanted, { includePrerelease: true });
}

/**
 * Why a bulletin's `applies_to_version` is an invalid range semver would still accept, or
 * undefined: an empty alternative around "||" reads as "*", so ">=9.0.0 <9.0.5 ||" would
 * match every version.
 */
export function appliesToProblem(appliesToVersion: string): string | undefined {
  const alternatives = appliesToVersion.split("||");
  if (alternatives.length < 2 || alternatives.every((part) => part.trim() !== "")) return undefined;
  return `applies_to_version ${JSON.stringify(appliesToVersion)} has an empty alternative around "||", which would match every version: the bulletin is not sent until the feed fixes its range`;
}
