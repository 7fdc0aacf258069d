// Rotation policies carried out, as Key Vault does: a Rotate action fires once its trigger is reached for the newest
// version; a Notify action queues KeyNearExpiry at its own time before `exp` (keys without one get it 30 days before,
// from events/expiry.ts, which leaves these keys alone).
import { NEAR_EXPIRY_DAYS, NOTIFY_STATE, publishExpiryEvent } from "../events/expiry.js";
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

/** Seconds before `exp` that the policy's Notify action fires at: its timeBeforeExpiry (the only trigger Notify has). */
function notifySeconds(record: KeyName): number | undefined {
  const notify = record.state.rotationPolicy?.lifetimeActions.find(({ action }) => action.type === "Notify");
  if (!notify) return undefined;
  const { timeBeforeExpiry } = notify.trigger;
  // A Notify with timeAfterCreate (which Key Vault applies to Rotate only) keeps Event Grid's 30 days.
  return timeBeforeExpiry === undefined
    ? NEAR_EXPIRY_DAYS * 86_400
    : durationSeconds(timeBeforeExpiry, "timeBeforeExpiry");
}

async function notifyIfDue(store: Store, vault: Vault, record: KeyName, now: number): Promise<boolean> {
  const before = notifySeconds(record);
  if (before === undefined || record.deletedAt !== null || isManaged(record)) return false;
  const latest = await newestKeyVersion(store, vault, record.name);
  const exp = latest?.attributes.exp;
  if (!latest || exp === undefined || now < (exp - before) * 1000) return false;
  const v = { vault: vault.name, kind: KEYS.type, name: record.name, version: latest.version, expiresAt: exp * 1000 };
  return publishExpiryEvent(store, { ...v, managed: false }, "NearExpiry", now);
}

/** Queues, across all vaults, KeyNearExpiry for every key whose policy's Notify action is due at `now`; returns how many. */
export function notifyDueKeys(store: Store, now = Date.now()): Promise<number> {
  return sweepLiveNames<KeyState>(store, KEYS.type, NOTIFY_STATE, (vault, record) =>
    notifyIfDue(store, vault, record, now),
  );
}
