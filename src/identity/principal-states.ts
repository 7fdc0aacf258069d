// Whether a token's principal (an application's service principal, or a user) still stands as it did when the token
// was issued: it exists (a user: enabled) and its credential generation is the token's. Read on every authenticated request, so kept in a short-lived cache.
import type { Store } from "../store/store.js";

/**
 * How long a principal's state is trusted. Deletes and credential resets through this process drop it at once; the
 * TTL bounds how long another node sharing the same PostgreSQL database keeps accepting the revoked tokens (as
 * vaults/cache.ts bounds access-policy changes). Keep it short.
 */
export const PRINCIPAL_STATE_TTL_MS = 1500;
const PRINCIPAL_STATE_CACHE_SIZE = 10_000;

/** A service principal (`appId` set) or a user (`appId` undefined; `enabled` false when its account is disabled). */
export interface PrincipalState {
  appId?: string;
  enabled: boolean;
  credentialGeneration: number;
}

interface Entry {
  /** Shared by concurrent requests for the same principal, so a cold entry costs one read. Undefined: no such principal. */
  state: Promise<PrincipalState | undefined>;
  expiresAt: number;
}

export class PrincipalStates {
  private readonly cache = new Map<string, Entry>();

  constructor(private readonly store: Store) {}

  /** The principal or user of that object id as the store has it (at most the TTL old), or undefined when it is gone. */
  current(objectId: string, now = Date.now()): Promise<PrincipalState | undefined> {
    const hit = this.cache.get(objectId);
    if (hit && hit.expiresAt > now) return hit.state;
    this.cache.delete(objectId);
    const state = this.read(objectId);
    if (this.cache.size >= PRINCIPAL_STATE_CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    const entry = { state, expiresAt: now + PRINCIPAL_STATE_TTL_MS };
    this.cache.set(objectId, entry);
    // A failed read is not remembered: the next request asks the store again.
    state.catch(() => this.cache.get(objectId) === entry && this.cache.delete(objectId));
    return state;
  }

  private async read(objectId: string): Promise<PrincipalState | undefined> {
    const p = await this.store.principals.getByObjectId(objectId);
    if (p) return { appId: p.appId, enabled: true, credentialGeneration: p.credentialGeneration };
    const u = await this.store.users.getByObjectId(objectId);
    return u && { enabled: u.accountEnabled, credentialGeneration: u.credentialGeneration };
  }

  /** Forgets a principal this process deleted or gave a new credential, so that its old tokens are refused at once. */
  forget(objectId: string): void {
    this.cache.delete(objectId);
  }
}
