// Soft delete as Key Vault does it: a deleted name keeps its versions, is listed as deleted,
// blocks re-use with a 409 until it is recovered or purged, and is purged when its retention ends.
import { conflict, forbidden, type KeyVaultError } from "../http/errors.js";
import type { NameRecord, ObjectKind, Store, VersionRecord } from "../store/store.js";
import type { Vault } from "../vaults/model.js";
import { toSeconds } from "./attributes.js";
import { checkObjectName } from "./names.js";

const DAY_MS = 24 * 60 * 60 * 1000;

const WORD: Partial<Record<ObjectKind, string>> = { certificate: "Certificate", key: "Key", secret: "Secret" };

/** 409 if the name is deleted but recoverable: Key Vault's exact words. */
export function assertNotDeleted(record: NameRecord<unknown> | undefined, kind: ObjectKind, name: string): void {
  if (record?.deletedAt == null) return;
  throw conflict(
    `${WORD[kind]} ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the ${kind} can only be recovered or purged.`,
    "ObjectIsDeletedButRecoverable",
  );
}

/** The name's record when it is live (or, with `deleted`, when it is deleted); otherwise the `missing` error. */
export async function nameInState<S>(
  store: Store,
  vault: string,
  kind: ObjectKind,
  name: string,
  deleted: boolean,
  missing: () => KeyVaultError,
): Promise<NameRecord<S>> {
  const record = await store.getName<S>(vault, kind, checkObjectName(name, kind));
  if (!record || (record.deletedAt !== null) !== deleted) throw missing();
  return record;
}

/**
 * A version of a live name (its newest when `version` is empty), in one read: the hot path of GET and of every key
 * operation. A miss falls back to reading the name, then the version, so that each gets its own 404 (`missing`).
 */
export async function liveVersion<A, D>(
  store: Store,
  vault: string,
  kind: ObjectKind,
  name: string,
  version: string | undefined,
  missing: (what: string) => KeyVaultError,
): Promise<VersionRecord<A, D>> {
  const found = await store.getLiveVersion<A, D>(vault, kind, checkObjectName(name, kind), version || undefined);
  if (found) return found;
  await nameInState(store, vault, kind, name, false, () => missing(name));
  const v = await store.getVersion<A, D>(vault, kind, name, version || undefined);
  if (!v) throw missing(version ? `${name}/${version}` : name);
  return v;
}

/** Marks names deleted (a certificate takes its key and secret with it); returns the deletion time. */
export async function softDeleteNames(tx: Store, vault: Vault, kinds: ObjectKind[], name: string, now = Date.now()): Promise<void> {
  const scheduledPurgeAt = now + vault.properties.softDeleteRetentionInDays * DAY_MS;
  for (const kind of kinds) {
    const record = await tx.getName(vault.name, kind, name);
    if (record && record.deletedAt === null) await tx.putName({ ...record, deletedAt: now, scheduledPurgeAt });
  }
}

export async function recoverNames(tx: Store, vault: Vault, kinds: ObjectKind[], name: string): Promise<void> {
  for (const kind of kinds) {
    const record = await tx.getName(vault.name, kind, name);
    if (record && record.deletedAt !== null) await tx.putName({ ...record, deletedAt: null, scheduledPurgeAt: null });
  }
}

/** Purge is refused while the vault has purge protection on (Azure: 403 until retention ends). */
export async function purgeNames(tx: Store, vault: Vault, kinds: ObjectKind[], name: string): Promise<void> {
  if (vault.properties.enablePurgeProtection) {
    throw forbidden(`Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.`);
  }
  for (const kind of kinds) await tx.purgeName(vault.name, kind, name);
}

/** The fields a deleted object's JSON adds to the live one. */
export function deletedFields(record: NameRecord<unknown>, recoveryId: string) {
  return {
    recoveryId,
    deletedDate: toSeconds(record.deletedAt!),
    scheduledPurgeDate: toSeconds(record.scheduledPurgeAt!),
  };
}
