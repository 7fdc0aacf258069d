// The secret operations of the Key Vault data plane, named after the REST operations they implement: typed input in
// (requests.ts), records out (model.ts makes the JSON).
import { readPfx, writePem } from "../crypto/certificate-files.js";
import { badParameter, forbidden } from "../http/errors.js";
import { checkObjectName } from "../http/object-names.js";
import { applyAttributes, toSeconds, type StoredAttributes } from "../objects/attributes.js";
import { collectBackup, openBackup, restoreBackup, sealBackup, type NamesBackup } from "../objects/backup.js";
import { assertNotManaged, SECRETS } from "../objects/collection.js";
import { listNewest as listNewestOf, versionPage, type PageRequest } from "../objects/paging.js";
import type { ObjectScope } from "../objects/scope.js";
import { liveVersion, purgeNames, recoverNames, softDeleteNames } from "../objects/soft-delete.js";
import type { Page } from "../store/repositories/objects.js";
import type { DeletedSecret, SecretVersion, SecretVersionData } from "./model.js";
import { PEM, PFX, type OutContentType, type SetSecretInput, type UpdateSecretInput } from "./requests.js";
import { deletedSecretName, findSecretVersion, liveSecretName, putSecretVersion } from "./versions.js";

/**
 * A value is withheld while its version is disabled. Key Vault's documentation also withholds it outside the
 * nbf/exp window, but the service returns it (Azure/AzureKeyVault#19): only `strictValidity` refuses it then.
 */
function assertReadable(
  { enabled, nbf, exp }: StoredAttributes,
  strictValidity: boolean,
  now = toSeconds(Date.now()),
): void {
  const refuse = (state: string, innerCode: string) =>
    forbidden(`Operation get is not allowed on a ${state} secret.`, innerCode);
  if (!enabled) throw refuse("disabled", "SecretDisabled");
  if (!strictValidity) return;
  if (nbf !== undefined && now < nbf) throw refuse("not yet valid", "SecretNotYetValid");
  if (exp !== undefined && now >= exp) throw refuse("expired", "SecretExpired");
}

/**
 * The version in the format `outContentType` asks for. A version already in that format comes back unchanged,
 * a plain secret whose contentType is exactly the asked one included (nothing to convert). The only conversion is
 * a certificate's PFX (no password, as Kluis stores it) to PEM, in the layout of a PEM certificate's secret.
 */
function inContentType(v: SecretVersion, outContentType: OutContentType | undefined): SecretVersion {
  if (outContentType === undefined || outContentType === v.data.contentType) return v;
  if (outContentType !== PEM || v.data.contentType !== PFX || !v.data.managed) {
    throw badParameter("outContentType: only PFX to PEM conversion of a certificate's secret is supported.");
  }
  const pem = writePem(readPfx(Buffer.from((v.sealed ?? Buffer.alloc(0)).toString("utf8"), "base64"), undefined));
  return { ...v, data: { ...v.data, contentType: PEM }, sealed: Buffer.from(pem, "utf8") };
}

// -- set and read -------------------------------------------------------------------------------

export async function setSecret(scope: ObjectScope, name: string, input: SetSecretInput): Promise<SecretVersion> {
  checkObjectName(name, SECRETS.type);
  const { value, ...fields } = input;
  return scope.store.transaction((tx) =>
    putSecretVersion(tx, scope.vault, name, "set", { ...fields, value: Buffer.from(value, "utf8") }),
  );
}

export async function getSecret(
  scope: ObjectScope,
  name: string,
  version: string | undefined,
  { outContentType, strictValidity }: { outContentType?: OutContentType; strictValidity: boolean },
): Promise<SecretVersion> {
  const v = await liveVersion<StoredAttributes, SecretVersionData>(
    scope.store,
    scope.vault.name,
    SECRETS,
    name,
    version,
  );
  assertReadable(v.attributes, strictValidity);
  return inContentType(v, outContentType);
}

const listNewest = (scope: ObjectScope, page: PageRequest, deleted: boolean): Promise<Page<DeletedSecret>> =>
  listNewestOf(scope, SECRETS, page, deleted);

export async function getSecrets(scope: ObjectScope, page: PageRequest): Promise<Page<SecretVersion>> {
  const { items, next } = await listNewest(scope, page, false);
  return { items: items.map((i) => i.latest), next };
}

export async function getSecretVersions(
  scope: ObjectScope,
  name: string,
  page: PageRequest,
): Promise<Page<SecretVersion>> {
  await liveSecretName(scope.store, scope.vault, name);
  return scope.store.objects.listVersions<StoredAttributes, SecretVersionData>(
    scope.vault.name,
    SECRETS.type,
    name,
    versionPage(page),
  );
}

/** Changes a version's attributes, tags or content type; the value never changes. */
export async function updateSecret(
  scope: ObjectScope,
  name: string,
  version: string | undefined,
  input: UpdateSecretInput,
): Promise<SecretVersion> {
  const { store, vault } = scope;
  return store.transaction(async (tx) => {
    assertNotManaged(SECRETS, await liveSecretName(tx, vault, name), "update");
    const v = await findSecretVersion(tx, vault, name, version);
    const next: SecretVersion = {
      ...v,
      attributes: applyAttributes(v.attributes, input.attributes),
      tags: input.tags ?? v.tags,
      data: input.contentType === undefined ? v.data : { ...v.data, contentType: input.contentType.value },
      updatedAt: Date.now(),
    };
    await tx.objects.putVersion(next);
    return next;
  });
}

// -- soft delete lifecycle -----------------------------------------------------------------------

async function deletedSecret(scope: ObjectScope, name: string): Promise<DeletedSecret> {
  const record = await deletedSecretName(scope, name);
  return { record, latest: await findSecretVersion(scope.store, scope.vault, record.name) };
}

export async function deleteSecret(scope: ObjectScope, name: string): Promise<DeletedSecret> {
  assertNotManaged(SECRETS, await liveSecretName(scope.store, scope.vault, name), "delete");
  await scope.store.transaction((tx) => softDeleteNames(tx, scope.vault, [SECRETS.type], name));
  return deletedSecret(scope, name);
}

export const getDeletedSecret = (scope: ObjectScope, name: string): Promise<DeletedSecret> =>
  deletedSecret(scope, name);

export const getDeletedSecrets = (scope: ObjectScope, page: PageRequest): Promise<Page<DeletedSecret>> =>
  listNewest(scope, page, true);

export async function recoverDeletedSecret(scope: ObjectScope, name: string): Promise<SecretVersion> {
  assertNotManaged(SECRETS, await deletedSecretName(scope, name), "recover");
  await scope.store.transaction((tx) => recoverNames(tx, scope.vault, [SECRETS.type], name));
  return findSecretVersion(scope.store, scope.vault, name);
}

export async function purgeDeletedSecret(scope: ObjectScope, name: string): Promise<void> {
  assertNotManaged(SECRETS, await deletedSecretName(scope, name), "purge");
  await scope.store.transaction((tx) => purgeNames(tx, scope.vault, [SECRETS.type], name));
}

// -- backup and restore ---------------------------------------------------------------------------

/** BackupSecret: every version of the secret, sealed into one opaque blob (base64url). */
export async function backupSecret(scope: ObjectScope, name: string): Promise<string> {
  assertNotManaged(SECRETS, await liveSecretName(scope.store, scope.vault, name), "backup");
  return sealBackup(
    scope.store,
    SECRETS.type,
    await collectBackup(scope.store, scope.vault.name, [SECRETS.type], name),
  );
}

/** Restores every version under its own id into this vault; the name must be free (neither live nor deleted). */
export async function restoreSecret(scope: ObjectScope, blob: unknown): Promise<SecretVersion> {
  const backup = openBackup<NamesBackup>(scope.store, SECRETS.type, blob);
  await scope.store.transaction((tx) => restoreBackup(tx, scope.vault, backup, SECRETS));
  return findSecretVersion(scope.store, scope.vault, backup.name);
}
