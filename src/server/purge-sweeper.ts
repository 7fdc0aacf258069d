// Deleted objects whose retention has ended are purged, as Key Vault does on the scheduled purge date.
import { deleteRoleAssignmentsOfVault } from "../authorization/role-assignments.js";
import { sweepActions, sweepFailures } from "../metrics/instruments.js";
import type { Store } from "../store/store.js";
import { every } from "./schedule.js";

const BATCH = 500;

export async function purgeExpiredDeletions(store: Store, now = Date.now()): Promise<number> {
  const expired = await store.listExpiredDeletions(now, BATCH);
  for (const { vault, kind, name } of expired) {
    await store.transaction((tx) => tx.purgeName(vault, kind, name));
  }
  // Deleted vaults go with everything in them, purge protection or not: their retention has ended.
  const vaults = await store.listExpiredVaults(now);
  for (const vault of vaults) {
    await store.transaction((tx) => tx.deleteVault(vault));
    await deleteRoleAssignmentsOfVault(store, vault);
  }
  return expired.length + vaults.length;
}

/** Sweeps every `intervalMs`; returns a function that stops it (see schedule.ts). */
export function startPurgeSweeper(store: Store, intervalMs = 60_000, onError: (err: unknown) => void = () => {}): () => Promise<void> {
  return every(intervalMs, async () => sweepActions.labels("purge").inc(await purgeExpiredDeletions(store)), (err) => {
    sweepFailures.labels("purge").inc();
    onError(err);
  });
}
