import semverValid from "semver/functions/valid.js";
import {
  ADMIN_EMAILS_ENV,
  DEFAULT_SECURITY_FEED_TIMEOUT_SECONDS,
  DEFAULT_SECURITY_MAX_BULLETINS,
  DEFAULT_SECURITY_FEED_URL,
  INSTALLATION_ID_ENV,
  PRODUCT_VERSION_ENV,
  SECURITY_FEED_TIMEOUT_ENV,
  SECURITY_FEED_URL_ENV,
  SECURITY_MAX_BULLETINS_ENV,
  TABLE_NAME_ENV,
} from "../constants.ts";
import { hasLineBreak, isValidEmailAddress } from "../net/hosts.ts";
import { describeValue } from "../settings/problems.ts";

/** Where the records of sent bulletins (and the generated installation id) live. */
export type StateLocation = { kind: "dynamodb"; tableName: string } | { kind: "file"; path: string };

export interface SecurityCheckConfig {
  /** feed base URL, http(s), without a trailing slash */
  feedUrl: string;
  /** overall bound of one feed request, body included */
  feedTimeoutMs: number;
  productVersion: string;
  /** sent to the feed as `id`; undefined: the stable id kept with the records */
  installationId?: string;
  /** administrator addresses, deduplicated (case-insensitively), in the order given */
  admins: string[];
  state: StateLocation;
  /** most bulletins emailed in one run; the rest wait for later runs. @default DEFAULT_SECURITY_MAX_BULLETINS */
  maxBulletinsPerRun: number;
}

/** A configuration value that cannot be used, named by its variable or flag. */
export interface ConfigProblem {
  /** "HERALD_PRODUCT_VERSION" or "--product-version" */
  source: string;
  message: string;
  fix: string;
}

export type ParsedSecurityConfig =
  { ok: true; config: SecurityCheckConfig } | { ok: false; problems: ConfigProblem[] };

/** Command-line values; each replaces its environment variable. */
export interface SecurityCheckFlags {
  feedUrl?: string;
  productVersion?: string;
  admins?: string;
  /** a JSON state file (CLI only); replaces HERALD_TABLE_NAME */
  state?: string;
}

const MAX_TIMEOUT_SECONDS = 900;
const MAX_BULLETINS_LIMIT = 1000;

/**
 * Turn the environment (and, for the CLI, flags) into a validated configuration. Reports
 * every problem at once, each naming the variable or flag to fix; never throws.
 */
export function parseSecurityCheckConfig(
  env: NodeJS.ProcessEnv,
  flags: SecurityCheckFlags = {},
): ParsedSecurityConfig {
  const problems: ConfigProblem[] = [];
  const pick = (flag: string, flagValue: string | undefined, name: string) =>
    flagValue !== undefined ? { source: flag, value: flagValue } : { source: name, value: env[name] };

  const feed = pick("--feed-url", flags.feedUrl, SECURITY_FEED_URL_ENV);
  const feedUrl = parseFeedUrl(
    blankToUndefined(feed.value) ?? DEFAULT_SECURITY_FEED_URL,
    feed.source,
    problems,
  );

  const timeoutText = blankToUndefined(env[SECURITY_FEED_TIMEOUT_ENV]);
  const timeoutSeconds =
    timeoutText === undefined ? DEFAULT_SECURITY_FEED_TIMEOUT_SECONDS : Number(timeoutText);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0 || timeoutSeconds > MAX_TIMEOUT_SECONDS) {
    problems.push({
      source: SECURITY_FEED_TIMEOUT_ENV,
      message: `${describeValue(timeoutText)} is not a number of seconds between 0 and ${MAX_TIMEOUT_SECONDS}`,
      fix: `set ${SECURITY_FEED_TIMEOUT_ENV} to e.g. ${DEFAULT_SECURITY_FEED_TIMEOUT_SECONDS}, or leave it unset`,
    });
  }

  const capText = blankToUndefined(env[SECURITY_MAX_BULLETINS_ENV])?.trim();
  const maxBulletinsPerRun = capText === undefined ? DEFAULT_SECURITY_MAX_BULLETINS : Number(capText);
  if (
    !Number.isInteger(maxBulletinsPerRun) ||
    maxBulletinsPerRun < 1 ||
    maxBulletinsPerRun > MAX_BULLETINS_LIMIT
  ) {
    problems.push({
      source: SECURITY_MAX_BULLETINS_ENV,
      message: `${describeValue(capText)} is not a whole number of bulletins between 1 and ${MAX_BULLETINS_LIMIT}`,
      fix: `set ${SECURITY_MAX_BULLETINS_ENV} to e.g. ${DEFAULT_SECURITY_MAX_BULLETINS}, or leave it unset`,
    });
  }

  const version = pick("--product-version", flags.productVersion, PRODUCT_VERSION_ENV);
  const productVersion = blankToUndefined(version.value)?.trim();
  if (productVersion === undefined) {
    problems.push({
      source: version.source,
      message: "the product version is required: bulletins are matched against it",
      fix: `set ${PRODUCT_VERSION_ENV} (or pass --product-version) to the version you run, e.g. 9.11.2`,
    });
  } else if (semverValid(productVersion) === null) {
    problems.push({
      source: version.source,
      message: `${describeValue(productVersion)} is not a semantic version`,
      fix: "use the form MAJOR.MINOR.PATCH, e.g. 9.11.2",
    });
  }

  const installationId = blankToUndefined(env[INSTALLATION_ID_ENV])?.trim();
  if (installationId !== undefined && !/^[\x21-\x7e]{1,128}$/.test(installationId)) {
    problems.push({
      source: INSTALLATION_ID_ENV,
      message: "the installation id must be 1 to 128 printable characters without spaces",
      fix: `unset ${INSTALLATION_ID_ENV} to use the stored generated id, or set a plain token`,
    });
  }

  const adminSource = pick("--admins", flags.admins, ADMIN_EMAILS_ENV);
  const admins = parseAdmins(adminSource.value, adminSource.source, problems);

  const state = stateLocation(env, flags, problems);

  if (problems.length > 0 || feedUrl === undefined || productVersion === undefined || !state) {
    return { ok: false, problems };
  }
  return {
    ok: true,
    config: {
      feedUrl,
      feedTimeoutMs: Math.round(timeoutSeconds * 1000),
      productVersion,
      ...(installationId !== undefined ? { installationId } : {}),
      admins,
      state,
      maxBulletinsPerRun,
    },
  };
}

function blankToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

function parseFeedUrl(text: string, source: string, problems: ConfigProblem[]): string | undefined {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    problems.push({
      source,
      message: `${describeValue(text)} is not a URL`,
      fix: `use an http(s) URL such as ${DEFAULT_SECURITY_FEED_URL}`,
    });
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    problems.push({
      source,
      message: `the feed URL must be http or https, not ${url.protocol.replace(/:$/, "")}`,
      fix: `use an http(s) URL such as ${DEFAULT_SECURITY_FEED_URL}`,
    });
    return undefined;
  }
  if (url.search !== "" || url.hash !== "") {
    problems.push({
      source,
      message: "the feed URL is a base URL: it takes no query or fragment",
      fix: `drop everything from "?" or "#", e.g. ${DEFAULT_SECURITY_FEED_URL}`,
    });
    return undefined;
  }
  return url.href.replace(/\/+$/, "");
}

function parseAdmins(text: string | undefined, source: string, problems: ConfigProblem[]): string[] {
  const entries = (text ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (entries.length === 0) {
    problems.push({
      source,
      message: "no administrator address: bulletins would reach nobody",
      fix: `set ${ADMIN_EMAILS_ENV} (or pass --admins) to comma-separated addresses, e.g. ops@example.com,sec@example.com`,
    });
    return [];
  }
  const admins: string[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    if (!isValidEmailAddress(entry) || hasLineBreak(entry)) {
      problems.push({
        source,
        message: `${describeValue(entry)} is not an email address`,
        fix: "list plain addresses separated by commas, e.g. ops@example.com,sec@example.com",
      });
      continue;
    }
    if (seen.has(entry.toLowerCase())) continue;
    seen.add(entry.toLowerCase());
    admins.push(entry);
  }
  return admins;
}

function stateLocation(
  env: NodeJS.ProcessEnv,
  flags: SecurityCheckFlags,
  problems: ConfigProblem[],
): StateLocation | undefined {
  if (flags.state !== undefined) {
    if (flags.state.trim() !== "") return { kind: "file", path: flags.state };
    problems.push({ source: "--state", message: "the state file path is empty", fix: "pass --state FILE" });
    return undefined;
  }
  const tableName = blankToUndefined(env[TABLE_NAME_ENV])?.trim();
  if (tableName !== undefined) return { kind: "dynamodb", tableName };
  problems.push({
    source: TABLE_NAME_ENV,
    message: "no place to record sent bulletins: without it every run would email them again",
    fix: `set ${TABLE_NAME_ENV} to the DynamoDB table, or (CLI) pass --state FILE`,
  });
  return undefined;
}
