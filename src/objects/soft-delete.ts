// Soft delete as Key Vault does it: a deleted name keeps its versions, is listed as deleted,
// blocks re-use with a 409 until it is recovered or purged, and is purged when its retention ends.
import { conflict, forbidden } from "../http/errors.js";
import { checkObjectName } from "../http/object-names.js";
import type { NameRecord, VersionRecord } from "../store/repositories/objects.js";
import type { Store } from "../store/store.js";
import type { Vault } from "../vaults/model.js";
import { toSeconds } from "./attributes.js";
import {
  COLLECTIONS,
  deletedObjectNotFound,
  objectNotFound,
  type ObjectCollection,
  type ObjectType,
} from "./collection.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** 409 if the name is deleted but recoverable: Key Vault's exact words. */
export function assertNotDeleted(record: NameRecord<unknown> | undefined, kind: ObjectType, name: string): void {
  if (record?.deletedAt == null) return;
  throw conflict(
    `${COLLECTIONS[kind].label} ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the ${kind} can only be recovered or purged.`,
    "ObjectIsDeletedButRecoverable",
  );
}

/** The name's record when it is live (or, with `deleted`, when it is deleted); otherwise the collection's 404. */
export async function nameInState<S>(
  store: Store,
  vault: string,
  c: ObjectCollection,
  name: string,
  deleted: boolean,
): Promise<NameRecord<S>> {
  const record = await store.objects.getName<S>(vault, c.type, checkObjectName(name, c.type));
  if (!record || (record.deletedAt !== null) !== deleted)
    throw deleted ? deletedObjectNotFound(c, name) : objectNotFound(c, name);
  return record;
}

export const liveName = <S>(store: Store, vault: string, c: ObjectCollection, name: string) =>
  nameInState<S>(store, vault, c, name, false);
export const deletedName = <S>(store: Store, vault: string, c: ObjectCollection, name: string) =>
  nameInState<S>(store, vault, c, name, true);

/**
 * A version of a live name (its newest when `version` is empty), in one read: the hot path of GET and of every key
 * operation. A miss falls back to reading the name, then the version, so that each gets the collection's own 404.
 */
export async function liveVersion<A, D>(
  store: Store,
  vault: string,
  c: ObjectCollection,
  name: string,
  version: string | undefined,
): Promise<VersionRecord<A, D>> {
  const found = await store.objects.getLiveVersion<A, D>(
    vault,
    c.type,
    checkObjectName(name, c.type),
    version || undefined,
  );
  if (found) return found;
  await liveName(store, vault, c, name);
  const v = await store.objects.getVersion<A, D>(vault, c.type, name, version || undefined);
  if (!v) throw objectNotFound(c, version ? `${name}/${version}` : name);
  return v;
}

/** Marks names deleted (a certificate takes its key and secret with it); returns the deletion time. */
export async function softDeleteNames(
  tx: Store,
  vault: Vault,
  kinds: ObjectType[],
  name: string,
  now = Date.now(),
): Promise<void> {
  const scheduledPurgeAt = now + vault.properties.softDeleteRetentionInDays * DAY_MS;
  for (const kind of kinds) {
    const record = await tx.objects.getName(vault.name, kind, name);
    if (record && record.deletedAt === null) await tx.objects.putName({ ...record, deletedAt: now, scheduledPurgeAt });
  }
}

export async function recoverNames(tx: Store, vault: Vault, kinds: ObjectType[], name: string): Promise<void> {
  for (const kind of kinds) {
    const record = await tx.objects.getName(vault.name, kind, name);
    if (record && record.deletedAt !== null)
      await tx.objects.putName({ ...record, deletedAt: null, scheduledPurgeAt: null });
  }
}

/** Purge is refused while the vault has purge protection on (Azure: 403 until retention ends). */
export async function purgeNames(tx: Store, vault: Vault, kinds: ObjectType[], name: string): Promise<void> {
  if (vault.properties.enablePurgeProtection) {
    throw forbidden(
      `Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.`,
    );
  }
  for (const kind of kinds) await tx.objects.purgeName(vault.name, kind, name);
}

/** The fields a deleted object's JSON adds to the live one. */
export interface DeletedFields {
  recoveryId: string;
  deletedDate: number;
  scheduledPurgeDate: number;
}

export function deletedFields(record: NameRecord<unknown>, recoveryId: string): DeletedFields {
  return {
    recoveryId,
    deletedDate: toSeconds(record.deletedAt!),
    scheduledPurgeDate: toSeconds(record.scheduledPurgeAt!),
  };
}
