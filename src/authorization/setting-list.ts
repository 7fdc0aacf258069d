// A list kept as JSON in one store setting (role assignments, custom roles), read through a short-lived copy.
import type { Store } from "../store/store.js";

/** Several nodes share one database: a short-lived copy keeps the hot path off the store without going stale for long. */
const CACHE_MS = 1000;

export interface SettingList<T> {
  read(store: Store): Promise<T[]>;
  write(store: Store, items: T[]): Promise<void>;
}

export function settingList<T>(key: string): SettingList<T> {
  let cache: { at: number; store: Store; items: T[] } | undefined;
  return {
    async read(store) {
      if (cache && cache.store === store && Date.now() - cache.at < CACHE_MS) return cache.items;
      const items = JSON.parse((await store.getSetting(key)) ?? "[]") as T[];
      cache = { at: Date.now(), store, items };
      return items;
    },
    async write(store, items) {
      await store.putSetting(key, JSON.stringify(items));
      cache = undefined;
    },
  };
}
