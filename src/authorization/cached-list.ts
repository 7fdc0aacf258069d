// A list read from the store through a short-lived copy per store (role assignments, custom roles): every RBAC check
// reads them, and several nodes share one database, so the copy is kept only briefly.
import type { Store } from "../store/store.js";

/** How long a copy is trusted: another node's change is seen here within this time; this node's own writes at once. */
export const ROLE_CACHE_MS = 1000;

export interface CachedList<T> {
  read(store: Store): Promise<T[]>;
  /** Forget every copy: call after writing (the write went through a transaction, not the store the copy is keyed by). */
  invalidate(): void;
}

export function cachedList<T>(load: (store: Store) => Promise<T[]>): CachedList<T> {
  let copies = new WeakMap<Store, { at: number; items: T[] }>();
  return {
    async read(store) {
      const copy = copies.get(store);
      if (copy && Date.now() - copy.at < ROLE_CACHE_MS) return copy.items;
      const items = await load(store);
      copies.set(store, { at: Date.now(), items });
      return items;
    },
    invalidate() {
      copies = new WeakMap();
    },
  };
}
