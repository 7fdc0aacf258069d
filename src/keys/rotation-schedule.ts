// Rotation policies carried out, as Key Vault does: a Rotate action fires once its trigger is reached for the newest
// version. Notify is not run here: KeyNearExpiry goes out 30 days before `exp` from events/expiry.ts.
import { isManaged, KEYS } from "../objects/collection.js";
import { sweepLiveNames } from "../objects/sweep.js";
import type { Store } from "../store/store.js";
import type { Vault } from "../vaults/model.js";
import type { KeyName, KeyState, KeyVersion } from "./model.js";
import { durationSeconds } from "./requests.js";
import { rotateKeyOnSchedule } from "./rotation.js";
import { newestKeyVersion } from "./versions.js";

/** Whether, at `now` (ms), a Rotate action of the key's policy has reached its trigger for `latest`, the newest version. */
function rotationDue(record: KeyName, latest: KeyVersion, now: number): boolean {
  // Deleted keys and disabled newest versions are left alone: their owner took the key out of use, and a rotation would put an enabled one back.
  if (record.deletedAt !== null || isManaged(record) || !latest.attributes.enabled) return false;
  return (record.state.rotationPolicy?.lifetimeActions ?? []).some(({ trigger, action }) => {
    if (action.type !== "Rotate") return false;
    if (trigger.timeAfterCreate !== undefined)
      return now >= latest.createdAt + durationSeconds(trigger.timeAfterCreate, "timeAfterCreate") * 1000;
    const { exp } = latest.attributes;
    return exp !== undefined && now >= (exp - durationSeconds(trigger.timeBeforeExpiry, "timeBeforeExpiry")) * 1000;
  });
}

async function rotateIfDue(store: Store, vault: Vault, record: KeyName, now: number): Promise<boolean> {
  const latest = await newestKeyVersion(store, vault, record.name);
  if (!latest || !rotationDue(record, latest, now)) return false;
  return rotateKeyOnSchedule({ store, vault }, record.name, now, async (tx) => {
    // Another node's rotation, committed first, moves the newest version: the trigger then no longer holds.
    await tx.objects.lockName(vault.name, KEYS.type, record.name);
    const current = await tx.objects.getName<KeyState>(vault.name, KEYS.type, record.name);
    const newest = await newestKeyVersion(tx, vault, record.name);
    return current !== undefined && newest !== undefined && rotationDue(current, newest, now);
  });
}

/** Rotates, across all vaults, every key whose rotation policy is due at `now`; returns how many it rotated. */
export function rotateDueKeys(store: Store, now = Date.now()): Promise<number> {
  // `"Rotate"` is in the stored state only of keys whose policy has a Rotate action.
  return sweepLiveNames<KeyState>(store, KEYS.type, '"Rotate"', (vault, record) =>
    rotateIfDue(store, vault, record, now),
  );
}
