// The secret operations of the Key Vault data plane, named after the REST operations they implement.
import { readPfx, writePem } from "../crypto/certificate-files.js";
import { badParameter, forbidden, notFound } from "../http/errors.js";
import { readAttributes, readTags, toSeconds, type StoredAttributes } from "../objects/attributes.js";
import { collectBackup, openBackup, restoreBackup, sealBackup, type NamesBackup } from "../objects/backup.js";
import { checkContentType } from "../objects/limits.js";
import { checkObjectName, newVersionRecord, objectUrl } from "../objects/names.js";
import { pageResponse, versionPage, type PageRequest } from "../objects/paging.js";
import type { VaultScope } from "../objects/scope.js";
import { assertNotDeleted, deletedFields, liveVersion, nameInState, purgeNames, recoverNames, softDeleteNames } from "../objects/soft-delete.js";
import type { Store } from "../store/store.js";
import {
  COLLECTION,
  MAX_VALUE_LENGTH,
  secretBundle,
  secretItem,
  type SecretName,
  type SecretState,
  type SecretVersion,
  type SecretVersionData,
} from "./model.js";

const KIND = "secret";

const secretNotFound = (name: string) =>
  notFound("SecretNotFound", `A secret with (name/id) ${name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`);
const deletedSecretNotFound = (name: string) => notFound("SecretNotFound", `Deleted Secret not found: ${name}`);

const liveName = (store: Store, vault: string, name: string) =>
  nameInState<SecretState>(store, vault, KIND, name, false, () => secretNotFound(name));
const deletedName = (store: Store, vault: string, name: string) =>
  nameInState<SecretState>(store, vault, KIND, name, true, () => deletedSecretNotFound(name));

const newName = (vault: string, name: string): SecretName =>
  ({ vault, kind: KIND, name, deletedAt: null, scheduledPurgeAt: null, state: {}, sealedState: null });

/** A version by id, or the latest. */
async function findVersion(store: Store, vault: string, name: string, version?: string): Promise<SecretVersion> {
  const v = await store.getVersion<StoredAttributes, SecretVersionData>(vault, KIND, name, version || undefined);
  if (!v) throw secretNotFound(version ? `${name}/${version}` : name);
  return v;
}

/** A certificate's secret changes only through the certificate: Key Vault answers 403, as here. */
function assertNotManaged(record: SecretName | undefined, operation: string): void {
  if (record?.state.managed) {
    throw forbidden(`Operation "${operation}" is not allowed as this object's lifetime is managed by Key Vault.`, "SecretManagedByKeyVault");
  }
}

/**
 * A value is withheld while its version is disabled. Key Vault's documentation also withholds it outside the
 * nbf/exp window, but the service returns it (Azure/AzureKeyVault#19): only `strictValidity` refuses it then.
 */
function assertReadable({ enabled, nbf, exp }: StoredAttributes, strictValidity: boolean, now = toSeconds(Date.now())): void {
  const refuse = (state: string, innerCode: string) => forbidden(`Operation get is not allowed on a ${state} secret.`, innerCode);
  if (!enabled) throw refuse("disabled", "SecretDisabled");
  if (!strictValidity) return;
  if (nbf !== undefined && now < nbf) throw refuse("not yet valid", "SecretNotYetValid");
  if (exp !== undefined && now >= exp) throw refuse("expired", "SecretExpired");
}

function readValue(input: unknown): string {
  if (typeof input !== "string") throw badParameter("The secret 'value' is required and must be a string.");
  if (input.length > MAX_VALUE_LENGTH) throw badParameter(`Secret is beyond the maximum permitted length of ${MAX_VALUE_LENGTH} characters.`);
  return input;
}

function readContentType(input: unknown): string | undefined {
  if (input === undefined || input === null) return undefined;
  return checkContentType(input);
}

const PFX = "application/x-pkcs12";
const PEM = "application/x-pem-file";
export type OutContentType = typeof PFX | typeof PEM;

/** GetSecret's `outContentType` query parameter: absent, or one of Key Vault's two formats. */
export function readOutContentType(query: Record<string, unknown>): OutContentType | undefined {
  const input = query.outContentType;
  if (input === undefined) return undefined;
  if (input !== PFX && input !== PEM) throw badParameter(`The value of outContentType must be ${PFX} or ${PEM}.`);
  return input;
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
  const pem = writePem(readPfx(Buffer.from(v.sealed!.toString("utf8"), "base64"), undefined));
  return { ...v, data: { ...v.data, contentType: PEM }, sealed: Buffer.from(pem, "utf8") };
}

// -- set and read -------------------------------------------------------------------------------

export async function setSecret(scope: VaultScope, name: string, body: Record<string, unknown>) {
  checkObjectName(name, KIND);
  const value = readValue(body.value);
  const contentType = readContentType(body.contentType);
  const attributes = readAttributes(body.attributes, { enabled: true });
  const tags = readTags(body.tags);
  const { store, vault } = scope;
  const created = await store.transaction(async (tx) => {
    const record = await tx.getName<SecretState>(vault.name, KIND, name);
    assertNotDeleted(record, KIND, name);
    assertNotManaged(record, "set");
    if (!record) await tx.putName(newName(vault.name, name));
    // A new version keeps the name as first written: names are case-insensitive.
    const v = newVersionRecord<StoredAttributes, SecretVersionData>(vault.name, KIND, record?.name ?? name, {
      attributes,
      tags,
      data: contentType === undefined ? {} : { contentType },
      sealed: Buffer.from(value, "utf8"),
    });
    return { ...v, seq: await tx.putVersion(v) };
  });
  return secretBundle(scope, created, true);
}

export async function getSecret(
  scope: VaultScope,
  name: string,
  version: string | undefined,
  { outContentType, strictValidity }: { outContentType?: OutContentType; strictValidity: boolean },
) {
  const v = await liveVersion<StoredAttributes, SecretVersionData>(scope.store, scope.vault.name, KIND, name, version, secretNotFound);
  assertReadable(v.attributes, strictValidity);
  return secretBundle(scope, inContentType(v, outContentType), true);
}

/** Live or deleted names with their latest version, one page, as `map` shows them. */
async function listLatest<T>(scope: VaultScope, page: PageRequest, deleted: boolean, map: (record: SecretName, v: SecretVersion) => T) {
  const names = await scope.store.listNames<SecretState>(scope.vault.name, KIND, { deleted, ...page });
  const items: T[] = [];
  for (const record of names.items) {
    const latest = await scope.store.getVersion<StoredAttributes, SecretVersionData>(scope.vault.name, KIND, record.name);
    if (latest) items.push(map(record, latest));
  }
  return pageResponse(scope, deleted ? "/deletedsecrets" : `/${COLLECTION}`, page, { items, next: names.next }, (i) => i);
}

export function getSecrets(scope: VaultScope, page: PageRequest) {
  return listLatest(scope, page, false, (_record, v) => secretItem(scope, v, false));
}

export async function getSecretVersions(scope: VaultScope, name: string, page: PageRequest) {
  await liveName(scope.store, scope.vault.name, name);
  const versions = await scope.store.listVersions<StoredAttributes, SecretVersionData>(scope.vault.name, KIND, name, versionPage(page));
  return pageResponse(scope, `/${COLLECTION}/${name}/versions`, page, versions, (v) => secretItem(scope, v, true));
}

/** Changes a version's attributes, tags or content type; the value never changes. */
export async function updateSecret(scope: VaultScope, name: string, version: string | undefined, body: Record<string, unknown>) {
  const { store, vault } = scope;
  const updated = await store.transaction(async (tx) => {
    assertNotManaged(await liveName(tx, vault.name, name), "update");
    const v = await findVersion(tx, vault.name, name, version);
    const next: SecretVersion = {
      ...v,
      attributes: readAttributes(body.attributes, v.attributes),
      tags: readTags(body.tags, v.tags),
      data: body.contentType === undefined ? v.data : { ...v.data, contentType: readContentType(body.contentType) },
      updatedAt: Date.now(),
    };
    await tx.putVersion(next);
    return next;
  });
  return secretBundle(scope, updated, false);
}

// -- soft delete lifecycle -----------------------------------------------------------------------

async function deletedSecretBundle(scope: VaultScope, record: SecretName) {
  const latest = await findVersion(scope.store, scope.vault.name, record.name);
  return { ...secretBundle(scope, latest, false), ...deletedFields(record, objectUrl(scope.vaultUrl, "deletedsecrets", record.name)) };
}

export async function deleteSecret(scope: VaultScope, name: string) {
  assertNotManaged(await liveName(scope.store, scope.vault.name, name), "delete");
  await scope.store.transaction((tx) => softDeleteNames(tx, scope.vault, [KIND], name));
  return getDeletedSecret(scope, name);
}

export async function getDeletedSecret(scope: VaultScope, name: string) {
  return deletedSecretBundle(scope, await deletedName(scope.store, scope.vault.name, name));
}

export function getDeletedSecrets(scope: VaultScope, page: PageRequest) {
  return listLatest(scope, page, true, (record, v) => ({
    ...secretItem(scope, v, false),
    ...deletedFields(record, objectUrl(scope.vaultUrl, "deletedsecrets", record.name)),
  }));
}

export async function recoverDeletedSecret(scope: VaultScope, name: string) {
  assertNotManaged(await deletedName(scope.store, scope.vault.name, name), "recover");
  await scope.store.transaction((tx) => recoverNames(tx, scope.vault, [KIND], name));
  return secretBundle(scope, await findVersion(scope.store, scope.vault.name, name), false);
}

export async function purgeDeletedSecret(scope: VaultScope, name: string) {
  assertNotManaged(await deletedName(scope.store, scope.vault.name, name), "purge");
  await scope.store.transaction((tx) => purgeNames(tx, scope.vault, [KIND], name));
}

// -- backup and restore ---------------------------------------------------------------------------

export async function backupSecret(scope: VaultScope, name: string) {
  assertNotManaged(await liveName(scope.store, scope.vault.name, name), "backup");
  return { value: sealBackup(scope.store, KIND, await collectBackup(scope.store, scope.vault.name, [KIND], name)) };
}

/** Restores every version under its own id into this vault; the name must be free (neither live nor deleted). */
export async function restoreSecret(scope: VaultScope, body: Record<string, unknown>) {
  const backup = openBackup<NamesBackup>(scope.store, KIND, body.value);
  const { store, vault } = scope;
  await store.transaction((tx) => restoreBackup(tx, vault, backup, "Secret"));
  return secretBundle(scope, await findVersion(store, vault.name, backup.name), false);
}
