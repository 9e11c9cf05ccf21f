import { isIP } from "node:net";

/** True for names and addresses that never leave the machine (checked without DNS). */
export function isLoopbackHost(host: string): boolean {
  const name = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  if (isIP(name) === 4) return name.startsWith("127.");
  if (isIP(name) === 6) return name === "::1" || name === "0:0:0:0:0:0:0:1";
  return false;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/** A DNS host name (RFC 1123 labels) or an IPv4/IPv6 address. */
export function isValidHost(host: string): boolean {
  if (isIP(host.replace(/^\[|\]$/g, "")) !== 0) return true;
  const name = host.replace(/\.$/, "");
  if (name.length === 0 || name.length > 253) return false;
  return name.split(".").every((label) => LABEL.test(label));
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

/** A plain mailbox `local@domain.tld` (no display name, no comments). */
export function isValidEmailAddress(address: string): boolean {
  const at = address.lastIndexOf("@");
  if (at <= 0 || at > 64) return false;
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (!/^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+$/.test(local) || local.startsWith(".") || local.endsWith(".")) {
    return false;
  }
  return domain.includes(".") && isValidHost(domain) && isIP(domain) === 0;
}

/** The domain part of an address ("" when there is no "@"). */
export function emailDomain(address: string): string {
  const at = address.lastIndexOf("@");
  return at < 0 ? "" : address.slice(at + 1);
}

export function hasLineBreak(value: string): boolean {
  return /[\r\n]/.test(value);
}
