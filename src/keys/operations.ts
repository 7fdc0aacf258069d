// The key operations of the Key Vault data plane, named after the REST operations they implement: typed input in
// (requests.ts), records out (model.ts makes the JSON). Rotation is rotation.ts, cryptography crypto-operations.ts.
import { forbidden } from "../http/errors.js";
import { checkObjectName } from "../http/object-names.js";
import { applyAttributes, type StoredAttributes } from "../objects/attributes.js";
import { collectBackup, openBackup, restoreBackup, sealBackup, type NamesBackup } from "../objects/backup.js";
import { deletedObjectNotFound, isManaged, KEYS } from "../objects/collection.js";
import { listNewest as listNewestOf, versionPage, type NameWithNewest, type PageRequest } from "../objects/paging.js";
import type { ObjectScope } from "../objects/scope.js";
import { assertNotDeleted, purgeNames, recoverNames, softDeleteNames } from "../objects/soft-delete.js";
import type { Page } from "../store/repositories/objects.js";
import type { KeyName, KeyState, KeyVersion, KeyVersionData } from "./model.js";
import { defaultKeyOps, type CreateKeyInput, type ImportKeyInput, type UpdateKeyInput } from "./requests.js";
import {
  deletedKeyName,
  generateMaterial,
  keyVersion,
  liveKeyName,
  newestKeyVersion,
  putKeyVersion,
  unmanagedKeyName,
} from "./versions.js";

/** A deleted key with its newest version, as deleted-key answers show it. */
export type DeletedKey = NameWithNewest<KeyState, StoredAttributes, KeyVersionData>;

const listNewest = (scope: ObjectScope, page: PageRequest, deleted: boolean): Promise<Page<DeletedKey>> =>
  listNewestOf(scope, KEYS, page, deleted);

const keyDisabled = (operation: string) =>
  forbidden(`Operation ${operation} is not allowed on a disabled key.`, "KeyDisabled");

async function assertFreeName(scope: ObjectScope, name: string): Promise<void> {
  checkObjectName(name, KEYS.type);
  assertNotDeleted(await scope.store.objects.getName(scope.vault.name, KEYS.type, name), KEYS.type, name);
}

export async function createKey(scope: ObjectScope, name: string, input: CreateKeyInput): Promise<KeyVersion> {
  await assertFreeName(scope, name);
  const material = await generateMaterial(input.spec);
  return scope.store.transaction((tx) => putKeyVersion(tx, scope.vault, name, "create", { ...input, material }));
}

export async function importKey(scope: ObjectScope, name: string, input: ImportKeyInput): Promise<KeyVersion> {
  await assertFreeName(scope, name);
  return scope.store.transaction((tx) => putKeyVersion(tx, scope.vault, name, "import", input));
}

/** Key Vault refuses to hand out a disabled key. */
export async function getKey(scope: ObjectScope, name: string, version?: string): Promise<KeyVersion> {
  const v = await keyVersion(scope, name, version);
  if (!v.attributes.enabled) throw keyDisabled("get");
  return v;
}

export async function getKeys(scope: ObjectScope, page: PageRequest): Promise<Page<KeyVersion>> {
  const { items, next } = await listNewest(scope, page, false);
  return { items: items.map((i) => i.latest), next };
}

export async function getKeyVersions(scope: ObjectScope, name: string, page: PageRequest): Promise<Page<KeyVersion>> {
  await liveKeyName(scope, name);
  return scope.store.objects.listVersions<StoredAttributes, KeyVersionData>(
    scope.vault.name,
    KEYS.type,
    name,
    versionPage(page),
  );
}

export async function updateKey(
  scope: ObjectScope,
  name: string,
  version: string | undefined,
  input: UpdateKeyInput,
): Promise<KeyVersion> {
  return scope.store.transaction(async (tx) => {
    const txScope = { ...scope, store: tx };
    await unmanagedKeyName(txScope, name, "update");
    const v = await keyVersion(txScope, name, version);
    const updated: KeyVersion = {
      ...v,
      updatedAt: Date.now(),
      attributes: applyAttributes(v.attributes, input.attributes),
      tags: input.tags ?? v.tags,
      data: {
        ...v.data,
        key_ops: input.keyOps === undefined ? v.data.key_ops : (input.keyOps ?? defaultKeyOps(v.data.kty)),
      },
    };
    await tx.objects.putVersion(updated);
    return updated;
  });
}

// -- soft delete lifecycle ---------------------------------------------------------------------------

async function deletedKey(scope: ObjectScope, record: KeyName): Promise<DeletedKey> {
  const latest = await newestKeyVersion(scope.store, scope.vault, record.name);
  if (!latest) throw deletedObjectNotFound(KEYS, record.name);
  return { record, latest };
}

export async function deleteKey(scope: ObjectScope, name: string): Promise<DeletedKey> {
  await unmanagedKeyName(scope, name, "delete");
  await scope.store.transaction((tx) => softDeleteNames(tx, scope.vault, [KEYS.type], name));
  return deletedKey(scope, await deletedKeyName(scope, name));
}

export async function getDeletedKey(scope: ObjectScope, name: string): Promise<DeletedKey> {
  return deletedKey(scope, await deletedKeyName(scope, name));
}

/** Deleted keys of deleted certificates are listed with the certificates, not here (as Key Vault does). */
export async function getDeletedKeys(scope: ObjectScope, page: PageRequest): Promise<Page<DeletedKey>> {
  const { items, next } = await listNewest(scope, page, true);
  return { items: items.filter(({ record }) => !isManaged(record)), next };
}

export async function recoverDeletedKey(scope: ObjectScope, name: string): Promise<KeyVersion> {
  await unmanagedKeyName(scope, name, "recover", true);
  await scope.store.transaction((tx) => recoverNames(tx, scope.vault, [KEYS.type], name));
  // The recovered key as it is, disabled or not: the recovery is done, so it is not refused after the fact.
  return keyVersion(scope, name);
}

export async function purgeDeletedKey(scope: ObjectScope, name: string): Promise<void> {
  await unmanagedKeyName(scope, name, "purge", true);
  await scope.store.transaction((tx) => purgeNames(tx, scope.vault, [KEYS.type], name));
}

// -- backup and restore ---------------------------------------------------------------------------------

/** BackupKey: every version of the key, sealed into one opaque blob (base64url). */
export async function backupKey(scope: ObjectScope, name: string): Promise<string> {
  await unmanagedKeyName(scope, name, "backup");
  return sealBackup(scope.store, KEYS.type, await collectBackup(scope.store, scope.vault.name, [KEYS.type], name));
}

/** Restores every version under its own id into this vault; the name must be free (neither live nor deleted). */
export async function restoreKey(scope: ObjectScope, blob: unknown): Promise<KeyVersion> {
  const backup = openBackup<NamesBackup>(scope.store, KEYS.type, blob);
  await scope.store.transaction((tx) => restoreBackup(tx, scope.vault, backup, KEYS));
  return keyVersion(scope, backup.name);
}
