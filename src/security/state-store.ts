/**
 * Where the security-alert check records what it sent. Each (bulletin, administrator) pair
 * goes through: claimed ("sending", with a lease) -> "sent", or back to unclaimed when the
 * send failed. A claim is taken with an atomic conditional write, so of two runs that race
 * for the same pair exactly one sends; a claim whose lease ran out (its run crashed) can be
 * taken again.
 */
export interface SecurityStateStore {
  readonly kind: "dynamodb" | "file";
  /** The stable installation id stored with the records, created on first use (both racers agree). */
  installationId(): Promise<string>;
  /** True when the pair is recorded as sent. */
  wasSent(pair: BulletinPair): Promise<boolean>;
  /** Try to claim the pair for sending until `leaseUntil` (epoch ms). */
  claim(pair: BulletinPair, lease: Lease): Promise<ClaimResult>;
  /** Record the claimed pair as sent. Throws ClaimLostError when another run took the claim over. */
  markSent(claim: Claim, details: { messageId: string; at: number }): Promise<void>;
  /** Give the claim up so the next run retries the pair; quiet when the claim was taken over. */
  release(claim: Claim): Promise<void>;
}

export interface BulletinPair {
  bulletinId: string;
  admin: string;
}

export interface Lease {
  /** unique per run */
  owner: string;
  /** epoch ms after which another run may take the claim */
  leaseUntil: number;
  /** epoch ms, "now" for deciding whether an existing lease ran out */
  now: number;
}

/** A claim this run holds; `token` is the store's own bookkeeping. */
export interface Claim {
  pair: BulletinPair;
  owner: string;
  token: string;
}

export type ClaimResult =
  | { status: "claimed"; claim: Claim }
  | { status: "sent" }
  /** another run holds an unexpired claim */
  | { status: "busy"; leaseUntil: number };

/** The record id of a pair in the shared table: `bulletin#<bulletinId>#<admin>`. */
export function pairRecordId(pair: BulletinPair): string {
  return `bulletin#${pair.bulletinId}#${pair.admin.toLowerCase()}`;
}

/** The record id of the stable installation id in the shared table. */
export const INSTALLATION_RECORD_ID = "installation";
