// Reading and writing key versions: the one place a key version is made, for the keys API and for certificates.
import { randomBytes } from "node:crypto";
import type { KeyMaterial } from "../crypto/key-algorithms.js";
import { generateKeyPair, privateKeyToDer, publicJwk } from "../crypto/keys.js";
import type { StoredAttributes } from "../objects/attributes.js";
import { assertNotManaged, KEYS } from "../objects/collection.js";
import { newVersionRecord } from "../objects/names.js";
import type { ObjectScope } from "../objects/scope.js";
import { assertNotDeleted, deletedName, liveName, liveVersion } from "../objects/soft-delete.js";
import type { Store } from "../store/store.js";
import type { Vault } from "../vaults/model.js";
import type { KeyName, KeyState, KeyVersion, KeyVersionData } from "./model.js";
import type { KeyCreationSpec } from "./requests.js";

export const liveKeyName = (scope: ObjectScope, name: string): Promise<KeyName> =>
  liveName<KeyState>(scope.store, scope.vault.name, KEYS, name);
export const deletedKeyName = (scope: ObjectScope, name: string): Promise<KeyName> =>
  deletedName<KeyState>(scope.store, scope.vault.name, KEYS, name);

/** The newest version of a name, live or deleted. */
export const newestKeyVersion = (store: Store, vault: Vault, name: string): Promise<KeyVersion | undefined> =>
  store.objects.getVersion<StoredAttributes, KeyVersionData>(vault.name, KEYS.type, name);

/** The named version of a live key, or its newest one when `version` is empty. */
export function keyVersion(scope: ObjectScope, name: string, version?: string): Promise<KeyVersion> {
  return liveVersion<StoredAttributes, KeyVersionData>(scope.store, scope.vault.name, KEYS, name, version);
}

/** A key a client may change through the keys API: live (or, with `deleted`, deleted), and not a certificate's. */
export async function unmanagedKeyName(
  scope: ObjectScope,
  name: string,
  operation: string,
  deleted = false,
): Promise<KeyName> {
  const record = deleted ? await deletedKeyName(scope, name) : await liveKeyName(scope, name);
  assertNotManaged(KEYS, record, operation);
  return record;
}

/** Fresh key material for `spec`; key pairs are made on libuv's thread pool. */
export async function generateMaterial(spec: KeyCreationSpec): Promise<KeyMaterial> {
  if (spec.kind === "oct") return { kind: "oct", bytes: randomBytes(spec.bits / 8) };
  if (spec.kind === "rsa")
    return { kind: "asymmetric", key: await generateKeyPair({ kty: "RSA", keySize: spec.bits }) };
  return { kind: "asymmetric", key: await generateKeyPair({ kty: "EC", crv: spec.crv }) };
}

/** The version's public fields and sealed bytes for fresh key material. */
function materialRecord(material: KeyMaterial): { data: Partial<KeyVersionData>; sealed: Buffer } {
  if (material.kind === "oct") return { data: { key_size: material.bytes.length * 8 }, sealed: material.bytes };
  return { data: publicJwk(material.key), sealed: privateKeyToDer(material.key) };
}

export interface NewKeyVersion {
  kty: string;
  keyOps: string[];
  material: KeyMaterial;
  attributes: StoredAttributes;
  tags: Record<string, string>;
  exportable?: boolean;
  /** When the version was made, if not at the time of writing (a scheduled rotation is made as of its sweep's `now`). */
  createdAt?: number;
}

/** A certificate's key version: written by the certificate, under the certificate's version id. */
export interface ManagedKeyVersion extends NewKeyVersion {
  version: string;
}

/** Adds a version inside the caller's transaction (creating the name); `operation` names the request in the refusal for a certificate's key. */
export async function putKeyVersion(
  tx: Store,
  vault: Vault,
  name: string,
  operation: string,
  fresh: NewKeyVersion,
): Promise<KeyVersion> {
  const current = await tx.objects.getName<KeyState>(vault.name, KEYS.type, name);
  assertNotDeleted(current, KEYS.type, name);
  assertNotManaged(KEYS, current, operation);
  if (!current) await putKeyName(tx, vault, name, {});
  // A new version keeps the name as first written: names are case-insensitive.
  return writeVersion(tx, vault, current?.name ?? name, fresh);
}

/** Writes a certificate's key version; the name is created managed if it is not there yet. */
export async function putManagedKeyVersion(
  tx: Store,
  vault: Vault,
  name: string,
  fresh: ManagedKeyVersion,
): Promise<KeyVersion> {
  if (!(await tx.objects.getName(vault.name, KEYS.type, name))) await putKeyName(tx, vault, name, { managed: true });
  return writeVersion(tx, vault, name, fresh, { version: fresh.version, managed: true });
}

const putKeyName = (tx: Store, vault: Vault, name: string, state: KeyState) =>
  tx.objects.putName<KeyState>({
    vault: vault.name,
    kind: KEYS.type,
    name,
    deletedAt: null,
    scheduledPurgeAt: null,
    state,
    sealedState: null,
  });

async function writeVersion(
  tx: Store,
  vault: Vault,
  name: string,
  fresh: NewKeyVersion,
  managed?: { version: string; managed: true },
): Promise<KeyVersion> {
  const { kty, keyOps, material, attributes, tags, exportable, createdAt } = fresh;
  const { data, sealed } = materialRecord(material);
  const record = newVersionRecord<StoredAttributes, KeyVersionData>(vault.name, KEYS.type, name, {
    attributes,
    tags,
    data: {
      kty,
      key_ops: keyOps,
      ...data,
      ...(managed ? { managed: true } : {}),
      ...(exportable !== undefined ? { exportable } : {}),
    },
    sealed,
  });
  const version = {
    ...record,
    ...(managed ? { version: managed.version } : {}),
    ...(createdAt !== undefined ? { createdAt, updatedAt: createdAt } : {}),
  };
  return { ...version, seq: await tx.objects.putVersion(version) };
}
