// Reading and writing secret versions: the one place a secret version is made, for the secrets API and for certificates.
import type { StoredAttributes } from "../objects/attributes.js";
import { assertNotManaged, objectNotFound, SECRETS } from "../objects/collection.js";
import { newVersionRecord } from "../objects/names.js";
import type { ObjectScope } from "../objects/scope.js";
import { assertNotDeleted, deletedName, liveName } from "../objects/soft-delete.js";
import type { Store } from "../store/store.js";
import type { Vault } from "../vaults/model.js";
import type { SecretName, SecretState, SecretVersion, SecretVersionData } from "./model.js";

export const liveSecretName = (store: Store, vault: Vault, name: string): Promise<SecretName> =>
  liveName<SecretState>(store, vault.name, SECRETS, name);
export const deletedSecretName = (scope: ObjectScope, name: string): Promise<SecretName> =>
  deletedName<SecretState>(scope.store, scope.vault.name, SECRETS, name);

/** A version by id, or the newest. */
export async function findSecretVersion(
  store: Store,
  vault: Vault,
  name: string,
  version?: string,
): Promise<SecretVersion> {
  const v = await store.objects.getVersion<StoredAttributes, SecretVersionData>(
    vault.name,
    SECRETS.type,
    name,
    version || undefined,
  );
  if (!v) throw objectNotFound(SECRETS, version ? `${name}/${version}` : name);
  return v;
}

export interface NewSecretVersion {
  value: Buffer;
  contentType?: string;
  attributes: StoredAttributes;
  tags: Record<string, string>;
}

/** A certificate's secret version: under the certificate's version id, pointing at its key version. */
export interface ManagedSecretVersion extends NewSecretVersion {
  version: string;
  /** Vault-relative, "/keys/NAME/VERSION". */
  kid: string;
  createdAt: number;
}

const putSecretName = (tx: Store, vault: Vault, name: string, state: SecretState) =>
  tx.objects.putName<SecretState>({
    vault: vault.name,
    kind: SECRETS.type,
    name,
    deletedAt: null,
    scheduledPurgeAt: null,
    state,
    sealedState: null,
  });

/** Adds a version inside the caller's transaction (creating the name); a certificate's secret is refused as `operation`. */
export async function putSecretVersion(
  tx: Store,
  vault: Vault,
  name: string,
  operation: string,
  fresh: NewSecretVersion,
): Promise<SecretVersion> {
  const record = await tx.objects.getName<SecretState>(vault.name, SECRETS.type, name);
  assertNotDeleted(record, SECRETS.type, name);
  assertNotManaged(SECRETS, record, operation);
  if (!record) await putSecretName(tx, vault, name, {});
  // A new version keeps the name as first written: names are case-insensitive.
  const v = newVersionRecord<StoredAttributes, SecretVersionData>(vault.name, SECRETS.type, record?.name ?? name, {
    attributes: fresh.attributes,
    tags: fresh.tags,
    data: fresh.contentType === undefined ? {} : { contentType: fresh.contentType },
    sealed: fresh.value,
  });
  return { ...v, seq: await tx.objects.putVersion(v) };
}

/** Writes a certificate's secret version; the name is created managed if it is not there yet. */
export async function putManagedSecretVersion(
  tx: Store,
  vault: Vault,
  name: string,
  fresh: ManagedSecretVersion,
): Promise<SecretVersion> {
  if (!(await tx.objects.getName(vault.name, SECRETS.type, name)))
    await putSecretName(tx, vault, name, { managed: true });
  const data: SecretVersionData = { contentType: fresh.contentType, kid: fresh.kid, managed: true };
  const v = {
    ...newVersionRecord<StoredAttributes, SecretVersionData>(vault.name, SECRETS.type, name, {
      attributes: fresh.attributes,
      tags: fresh.tags,
      data,
      sealed: fresh.value,
    }),
    version: fresh.version,
    createdAt: fresh.createdAt,
    updatedAt: fresh.createdAt,
  };
  return { ...v, seq: await tx.objects.putVersion(v) };
}
