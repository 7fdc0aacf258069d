// A short-lived cache of vault records for the data plane, which reads its vault (and the access policies in it)
// on every request.
import type { Store } from "../store/store.js";
import type { Vault, VaultProperties } from "./model.js";

/**
 * How long a cached vault record is trusted. Writes through this process (vaults/operations.ts) invalidate at
 * once; the TTL bounds how stale a record can be when another Kluis node sharing the same PostgreSQL database
 * changes a vault or its access policies: such a change takes effect here within this time, as Azure's own
 * policy changes take a moment to propagate. Keep it short.
 */
export const VAULT_CACHE_TTL_MS = 1500;
const VAULT_CACHE_SIZE = 1000;

interface Entry {
  vault: Vault;
  expiresAt: number;
}

/** One cache per store, so that several servers in one process (tests) never see each other's vaults. */
const caches = new WeakMap<Store, Map<string, Entry>>();

function cacheOf(store: Store): Map<string, Entry> {
  let cache = caches.get(store);
  if (!cache) caches.set(store, (cache = new Map()));
  return cache;
}

/**
 * The vault named `name` (lower case): the record itself while the cache holds it fresh (no promise to wait for: the
 * data plane asks on every request), else the store's answer. A vault that does not exist is not cached.
 */
export function cachedVault(store: Store, name: string): Vault | Promise<Vault | undefined> {
  const cache = cacheOf(store);
  const hit = cache.get(name);
  const now = Date.now();
  if (hit && hit.expiresAt > now) return hit.vault;
  if (hit) cache.delete(name);
  return readVault(store, cache, name, now);
}

async function readVault(store: Store, cache: Map<string, Entry>, name: string, now: number) {
  const vault = await store.vaults.get<VaultProperties>(name);
  if (vault) {
    if (cache.size >= VAULT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(name, { vault, expiresAt: now + VAULT_CACHE_TTL_MS });
  }
  return vault;
}

/** Forgets a vault after this process changed or deleted it (call with the store that serves requests). */
export function invalidateVault(store: Store, name: string): void {
  caches.get(store)?.delete(name.toLowerCase());
}
