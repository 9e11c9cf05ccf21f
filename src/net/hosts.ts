import { BlockList, isIP } from "node:net";
import { domainToASCII, domainToUnicode } from "node:url";

const LOOPBACK_ADDRESSES = new BlockList();
LOOPBACK_ADDRESSES.addSubnet("127.0.0.0", 8, "ipv4");
// Also matches IPv4-mapped forms such as ::ffff:127.0.0.1 (checked against the rule above).
LOOPBACK_ADDRESSES.addAddress("::1", "ipv6");

/**
 * An IPv6 literal without its URL brackets ("[::1]" -> "::1"); any other host as written,
 * trimmed. This is the form sockets and DNS take.
 */
export function connectionHost(host: string): string {
  const trimmed = host.trim();
  const inner = /^\[(.*)\]$/.exec(trimmed)?.[1];
  return inner !== undefined && isIP(inner) === 6 ? inner : trimmed;
}

/**
 * True for hosts that never leave the machine, decided without DNS: a literal loopback
 * address (127.0.0.0/8, ::1, with or without brackets) or the name `localhost` itself.
 * Other names, `*.localhost` included, go through the resolver and could be anything.
 */
export function isLoopbackHost(host: string): boolean {
  const name = connectionHost(host).toLowerCase();
  if (name === "localhost") return true;
  const family = isIP(name);
  return family !== 0 && LOOPBACK_ADDRESSES.check(name, family === 4 ? "ipv4" : "ipv6");
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/** A DNS host name (RFC 1123 labels), an IPv4 address, or an IPv6 address with or without brackets. */
export function isValidHost(host: string): boolean {
  if (isIP(connectionHost(host)) !== 0) return host === host.trim();
  const name = host.replace(/\.$/, "");
  if (name.length === 0 || name.length > 253) return false;
  return name.split(".").every((label) => LABEL.test(label));
}

/**
 * The ASCII (punycode) form of an internationalized host name, e.g. "xn--bcher-kva.example"
 * for "bücher.example"; undefined when the host is not such a name.
 */
export function punycodeHost(host: string): string | undefined {
  const trimmed = host.trim();
  if (!/\P{ASCII}/u.test(trimmed)) return undefined;
  const ascii = domainToASCII(trimmed);
  return ascii !== "" && isValidHost(ascii) ? ascii : undefined;
}

/** The host of a URL such as SiteURL, or undefined when it is not an http(s) URL. */
export function urlHost(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return undefined;
    return parsed.hostname.replace(/^\[|\]$/g, "") || undefined;
  } catch {
    return undefined;
  }
}

// RFC 5322 dot-atom-text in ASCII (SES takes no SMTPUTF8 local part), at most 64 characters.
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LETTERS_TLD = /^[a-z]{2,63}$/i;
const A_LABEL_PREFIX = /^xn--/i;

/** An IDNA A-label ("xn--p1ai"): the prefix and punycode that decodes to a Unicode label. */
function isALabel(label: string): boolean {
  return A_LABEL_PREFIX.test(label) && LABEL.test(label) && domainToUnicode(label) !== label.toLowerCase();
}

/**
 * A mail domain: two or more RFC 1123 labels whose last one is letters or an IDNA A-label
 * (`example.xn--p1ai`); internationalized names are checked in their ASCII form
 * (`пример.рф` is `xn--e1afmkfd.xn--p1ai`). No IP literal, no trailing dot.
 */
export function isValidMailDomain(domain: string): boolean {
  // only letters, digits, hyphens and dots in ASCII; domainToASCII would also percent-decode
  if (/[\s%\p{Cc}]/u.test(domain)) return false;
  const ascii = /\P{ASCII}/u.test(domain) ? domainToASCII(domain) : domain;
  if (ascii === "" || ascii.length > 253) return false;
  const labels = ascii.split(".");
  const tld = labels.at(-1) ?? "";
  return (
    labels.length >= 2 &&
    labels.every((label) => LABEL.test(label) && (!A_LABEL_PREFIX.test(label) || isALabel(label))) &&
    (LETTERS_TLD.test(tld) || isALabel(tld))
  );
}

/**
 * A plain mailbox `local@domain` (no display name, no comments, no quoted local part): the
 * one address rule, for events, settings and the CDK props alike.
 */
export function isValidEmailAddress(address: string): boolean {
  const at = address.lastIndexOf("@");
  if (at <= 0 || at > 64) return false;
  return LOCAL_PART.test(address.slice(0, at)) && isValidMailDomain(address.slice(at + 1));
}

/** The domain part of an address ("" when there is no "@"). */
export function emailDomain(address: string): string {
  const at = address.lastIndexOf("@");
  return at < 0 ? "" : address.slice(at + 1);
}

export function hasLineBreak(value: string): boolean {
  return /[\r\n]/.test(value);
}
