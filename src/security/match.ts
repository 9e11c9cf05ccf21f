import semver from "semver";

/**
 * Does a bulletin apply to this product version? Mattermost's rule is string equality;
 * a semver range the version satisfies (">=9.0.0 <9.11.3", "9.11.x") applies too. Anything
 * else, an empty value included, does not.
 */
export function bulletinApplies(appliesToVersion: string, productVersion: string): boolean {
  const wanted = appliesToVersion.trim();
  if (wanted === "") return false;
  if (wanted === productVersion) return true;
  if (semver.validRange(wanted) === null) return false;
  // A pre-release of an affected version is affected too: for security alerts, missing one
  // is worse than an extra email (semver leaves pre-releases out of ranges by default).
  return semver.satisfies(productVersion, wanted, { includePrerelease: true });
}
