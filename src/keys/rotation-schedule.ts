// Rotation policies carried out, as Key Vault does: a Rotate action fires once its trigger is reached for the newest
// version. A Notify action would send an Event Grid event; Kluis has no Event Grid, so it records nothing.
import type { StoredAttributes } from "../objects/attributes.js";
import { sweepLiveNames } from "../objects/sweep.js";
import type { Store } from "../store/store.js";
import type { Vault } from "../vaults/model.js";
import type { KeyName, KeyState, KeyVersion, KeyVersionData } from "./model.js";
import { durationSeconds, rotateKeyOnSchedule } from "./operations.js";

/** Whether, at `now` (ms), a Rotate action of the key's policy has reached its trigger for `latest`, the newest version. */
function rotationDue(record: KeyName, latest: KeyVersion, now: number): boolean {
  // Deleted keys and disabled newest versions are left alone: their owner took the key out of use, and a rotation would put an enabled one back.
  if (record.deletedAt !== null || record.state.managed || !latest.attributes.enabled) return false;
  return (record.state.rotationPolicy?.lifetimeActions ?? []).some(({ trigger, action }) => {
    if (action.type !== "Rotate") return false;
    if (trigger.timeAfterCreate !== undefined) return now >= latest.createdAt + durationSeconds(trigger.timeAfterCreate, "timeAfterCreate") * 1000;
    const { exp } = latest.attributes;
    return exp !== undefined && now >= (exp - durationSeconds(trigger.timeBeforeExpiry, "timeBeforeExpiry")) * 1000;
  });
}

const newestVersion = (store: Store, vault: Vault, name: string) =>
  store.getVersion<StoredAttributes, KeyVersionData>(vault.name, "key", name);

async function rotateIfDue(store: Store, vault: Vault, record: KeyName, now: number): Promise<boolean> {
  const latest = await newestVersion(store, vault, record.name);
  if (!latest || !rotationDue(record, latest, now)) return false;
  // No request is being answered: the scope's URL and API version are never used.
  const scope = { store, vault, vaultUrl: "", apiVersion: "" };
  return rotateKeyOnSchedule(scope, record.name, now, async (tx) => {
    // Another node's rotation, committed first, moves the newest version: the trigger then no longer holds.
    await tx.lockName(vault.name, "key", record.name);
    const current = await tx.getName<KeyState>(vault.name, "key", record.name);
    const newest = await newestVersion(tx, vault, record.name);
    return current !== undefined && newest !== undefined && rotationDue(current, newest, now);
  });
}

/** Rotates, across all vaults, every key whose rotation policy is due at `now`; returns how many it rotated. */
export function rotateDueKeys(store: Store, now = Date.now()): Promise<number> {
  // `"Rotate"` is in the stored state only of keys whose policy has a Rotate action.
  return sweepLiveNames<KeyState>(store, "key", '"Rotate"', (vault, record) => rotateIfDue(store, vault, record, now));
}
