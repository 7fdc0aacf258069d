// Client secrets this node has recently verified, so that an honest caller's next token request costs an HMAC
// instead of a scrypt hash, and is never throttled, even while someone floods its application with wrong secrets.
import { createHmac, randomBytes } from "node:crypto";
import type { PrincipalRecord } from "../store/repositories/principals.js";

/** How long a verified secret is remembered after its last use (SDKs ask for a new token about once an hour). */
export const VERIFIED_SECRET_TTL_MS = 2 * 60 * 60 * 1000;
const VERIFIED_SECRETS_SIZE = 10_000;

interface Entry {
  /** The stored hash the secret matched: a credential reset replaces it, and with it every entry. */
  secretHash: string;
  expiresAt: number;
}

export class VerifiedSecrets {
  /** Keyed by an HMAC of appId and secret under a key that never leaves this process: no secret is held as such. */
  private readonly key = randomBytes(32);
  private readonly entries = new Map<string, Entry>();

  private keyOf(appId: string, secret: string): string {
    return createHmac("sha256", this.key).update(appId).update("\0").update(secret).digest("base64");
  }

  /** True when `secret` matched the principal's current stored hash within the TTL. */
  has(principal: PrincipalRecord, secret: string, now = Date.now()): boolean {
    const k = this.keyOf(principal.appId, secret);
    const entry = this.entries.get(k);
    if (!entry) return false;
    this.entries.delete(k);
    if (entry.expiresAt <= now || entry.secretHash !== principal.secretHash) return false;
    this.entries.set(k, { ...entry, expiresAt: now + VERIFIED_SECRET_TTL_MS }); // most recently used last
    return true;
  }

  add(principal: PrincipalRecord, secret: string, now = Date.now()): void {
    const k = this.keyOf(principal.appId, secret);
    this.entries.delete(k);
    if (this.entries.size >= VERIFIED_SECRETS_SIZE) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(k, { secretHash: principal.secretHash, expiresAt: now + VERIFIED_SECRET_TTL_MS });
  }
}
