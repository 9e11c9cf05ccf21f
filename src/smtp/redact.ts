import { MASKED_SECRET } from "../constants.ts";

/**
 * Secrets shorter than this are not searched for: they would mangle ordinary text, and no
 * SMTP password is that short.
 */
export const MIN_REDACTED_LENGTH = 4;

/**
 * A copy of a JSON-like value (a report, a result, a log entry) with every secret masked in
 * its string values, and in the forms a secret travels in over SMTP: AUTH LOGIN sends the
 * password as base64, AUTH PLAIN sends base64("\0user\0password"), and a server may echo
 * either. Any base64 text that contains a secret contains one of three fixed substrings
 * (one per alignment of the secret within the encoded bytes), so those are masked too,
 * whatever the username.
 *
 * A last line of defence for reports built from text a server or library wrote: secrets
 * are never put there on purpose. Walks the value (never rewrites serialized text), leaves
 * keys, numbers and booleans alone, keeps cycles, and never throws.
 */
export function redactSecrets<T>(value: T, secrets: ReadonlyArray<string | undefined>): T {
  const needles = secretNeedles(secrets);
  if (needles.length === 0) return value;
  try {
    return walk(value, needles, new Map()) as T;
  } catch {
    // Only an exotic value (a throwing getter, a revoked proxy) gets here: hide all of it.
    return MASKED_SECRET as T;
  }
}

/** Mask every needle in one string, until none is left (a mask next to text can form one). */
export function redactText(text: string, needles: readonly string[]): string {
  let result = text;
  for (let found = true; found;) {
    found = false;
    for (const needle of needles) {
      if (!result.includes(needle)) continue;
      result = result.split(needle).join(MASKED_SECRET);
      found = true;
    }
  }
  return result;
}

/**
 * The texts to mask for these secrets, longest first: each secret, its base64 (with and
 * without padding) and the alignment-independent parts of its base64.
 */
export function secretNeedles(secrets: ReadonlyArray<string | undefined>): string[] {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== "string" || secret.length < MIN_REDACTED_LENGTH) continue;
    // A secret of asterisks only is indistinguishable from the mask (and would never end).
    if (/^\**$/.test(secret)) continue;
    needles.add(secret);
    const encoded = Buffer.from(secret, "utf8").toString("base64");
    needles.add(encoded);
    needles.add(encoded.replace(/=+$/, ""));
    for (const core of base64Cores(secret)) needles.add(core);
  }
  return [...needles].filter((n) => n.length >= MIN_REDACTED_LENGTH).sort((a, b) => b.length - a.length);
}

/**
 * For each alignment of the secret's bytes (0, 1 or 2 bytes before it), the base64
 * characters that depend on the secret alone: base64 of any text containing the secret at
 * that alignment contains them.
 */
function base64Cores(secret: string): string[] {
  const bytes = Buffer.from(secret, "utf8");
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const padded = Buffer.concat([Buffer.alloc(offset), bytes]);
    const encoded = padded.toString("base64").replace(/=+$/, "");
    // Characters that also encode bits of the unknown bytes before the secret...
    const lead = offset === 0 ? 0 : offset + 1;
    // ...and of the unknown bytes after it (6 bits per character).
    const end = Math.floor((padded.length * 8) / 6);
    if (end > lead) cores.push(encoded.slice(lead, end));
  }
  return cores;
}

function walk(value: unknown, needles: readonly string[], seen: Map<object, unknown>): unknown {
  if (typeof value === "string") return redactText(value, needles);
  if (typeof value !== "object" || value === null) return value;
  const done = seen.get(value);
  if (done !== undefined) return done;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(walk(item, needles, seen));
    return copy;
  }
  const copy: Record<string, unknown> = {};
  seen.set(value, copy);
  // Errors keep their message out of Object.keys: copy it as data.
  if (value instanceof Error) {
    copy.name = redactText(value.name, needles);
    copy.message = redactText(value.message, needles);
  }
  for (const key of Object.keys(value)) {
    copy[key] = walk((value as Record<string, unknown>)[key], needles, seen);
  }
  return copy;
}
