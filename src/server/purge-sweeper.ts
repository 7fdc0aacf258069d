// Deleted objects whose retention has ended are purged, as Key Vault does on the scheduled purge date; audit entries
// older than their retention (--audit-retention-days) are pruned on the same schedule.
import { deleteRoleAssignmentsOfVault } from "../authorization/role-assignments.js";
import { pruneAudit } from "../audit/chain.js";
import { sweepActions, sweepFailures } from "../metrics/instruments.js";
import type { Store } from "../store/store.js";
import { every } from "./schedule.js";

const BATCH = 500;

export async function purgeExpiredDeletions(store: Store, now = Date.now()): Promise<number> {
  const expired = await store.objects.listExpiredDeletions(now, BATCH);
  for (const { vault, kind, name } of expired) {
    await store.transaction((tx) => tx.objects.purgeName(vault, kind, name));
  }
  // Deleted vaults go with everything in them, purge protection or not: their retention has ended.
  const vaults = await store.vaults.listExpired(now);
  for (const vault of vaults) {
    await store.transaction((tx) => tx.vaults.delete(vault));
    await deleteRoleAssignmentsOfVault(store, vault);
  }
  return expired.length + vaults.length;
}

/** One sweep at `now`: expired deletions, then audit entries past their retention. */
export async function sweepDeletions(store: Store, now: number, auditRetentionDays: number): Promise<number> {
  const purged = await purgeExpiredDeletions(store, now);
  sweepActions.labels("purge").inc(purged);
  return purged + (await pruneAudit(store, now - auditRetentionDays * DAY_MS));
}

const DAY_MS = 86_400_000;

/** Sweeps every `intervalMs` at the clock's time; returns a function that stops it (see schedule.ts). */
export function startPurgeSweeper(
  store: Store,
  opts: { intervalMs: number; now: () => number; auditRetentionDays: number },
  onError: (err: unknown) => void = () => {},
): () => Promise<void> {
  return every(
    opts.intervalMs,
    () => sweepDeletions(store, opts.now(), opts.auditRetentionDays),
    (err) => {
      sweepFailures.labels("purge").inc();
      onError(err);
    },
  );
}
