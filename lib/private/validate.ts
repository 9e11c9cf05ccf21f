// Rules for deployment values, shared by the context reader (bin/app.ts) and the constructs'
// props checks, so that `-c adminEmails=...` and `new Monitoring(..., { adminEmails })` agree.
import { Token } from "aws-cdk-lib";
import { DEFAULT_PARAMETER_PREFIX } from "../../src/constants.ts";
import { HeraldError } from "../../src/errors.ts";
import { isValidEmailAddress } from "../../src/net/hosts.ts";

/** A value a construct or the context refused: names the prop, the rule and the value given. */
export class HeraldConfigError extends HeraldError {
  override name = "HeraldConfigError";
  readonly code = "EDEPLOYCONFIG";
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** A DNS label: letters, digits and inner hyphens, at most 63 characters. */
export function isDnsLabel(value: string): boolean {
  return LABEL.test(value);
}

/** A domain name with at least two labels and an alphabetic top-level label (`example.com`). */
export function isDomainName(value: string): boolean {
  if (value.length > 253) return false;
  const labels = value.split(".");
  return labels.length >= 2 && labels.every(isDnsLabel) && /^[a-z]{2,63}$/i.test(labels.at(-1)!);
}

/** An address SES and IAM accept: Herald's one address rule (src/net/hosts.ts). */
export const isEmailAddress = isValidEmailAddress;

/** Whether `name` is `domain` itself or one of its subdomains (case-insensitive). */
export function isWithinDomain(name: string, domain: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, "");
  const d = domain.toLowerCase().replace(/\.$/, "");
  return n === d || n.endsWith(`.${d}`);
}

/** The domain of an address. */
export function addressDomain(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1);
}

/** An http(s) URL. */
export function isHttpUrl(value: string, httpsOnly = false): boolean {
  try {
    const url = new URL(value);
    return httpsOnly ? url.protocol === "https:" : url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

/** A recurring EventBridge Scheduler expression: `rate(...)` or `cron(...)`. */
export function isScheduleExpression(value: string): boolean {
  const rate = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/.exec(value);
  if (rate) return Number(rate[1]) > 0;
  // AWS cron: six fields (minutes hours day-of-month month day-of-week year), and exactly one
  // of day-of-month and day-of-week is `?` (a Unix five-field cron is refused at deployment).
  const fields = /^cron\((.+)\)$/.exec(value)?.[1]!.trim().split(/\s+/);
  return fields?.length === 6 && (fields[2] === "?") !== (fields[4] === "?");
}

/**
 * A props check at the top of a constructor: throws `Construct: prop "value" rule` unless
 * `ok` (values that are tokens are resolved only at deployment, so they are not checked; an
 * absent value is not quoted: `Construct: prop is required ...`).
 */
export function check(construct: string, prop: string, value: unknown, ok: boolean, rule: string): void {
  if (ok || (typeof value === "string" && Token.isUnresolved(value))) return;
  const given = value === undefined ? "" : ` ${JSON.stringify(value)}`;
  throw new HeraldConfigError(`${construct}: ${prop}${given} ${rule}`);
}

/**
 * The administrators' addresses (alarm emails, security bulletins): at least one, each a
 * plain address. The one check behind Monitoring's and SecurityAlerts' `adminEmails`.
 */
export function checkAdminEmails(construct: string, addresses: readonly string[]): void {
  check(
    construct,
    "adminEmails",
    addresses,
    addresses.length > 0,
    "is empty: give at least one administrator address",
  );
  for (const address of addresses) {
    check(construct, "adminEmails", address, isEmailAddress(address), "is not an email address");
  }
}

/** Why SSM would refuse a normalized settings prefix (`/herald`), or undefined when it is fine. */
export function prefixProblem(prefix: string): string | undefined {
  if (!/^(\/[A-Za-z0-9_.-]+)+$/.test(prefix)) {
    return `is not an SSM path: use segments of letters, digits, "_", "." and "-", e.g. ${DEFAULT_PARAMETER_PREFIX}`;
  }
  // SSM refuses names that begin with "aws" or "ssm", in any case.
  if (/^\/(aws|ssm)/i.test(prefix))
    return `is reserved by AWS: pick another, e.g. ${DEFAULT_PARAMETER_PREFIX}`;
  return undefined;
}

/** The transport a feature sends with, and the SES identity that `ses-api` needs. */
export function checkTransport(
  construct: string,
  transport: string,
  sendingIdentity: unknown,
  transports: readonly string[],
): void {
  check(
    construct,
    "transport",
    transport,
    transports.includes(transport),
    `is not one of ${transports.join(", ")}`,
  );
  check(
    construct,
    "sendingIdentity",
    undefined,
    transport !== "ses-api" || sendingIdentity !== undefined,
    "is required with transport ses-api",
  );
}
