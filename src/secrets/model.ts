// How a secret is stored, and the JSON shapes Key Vault returns for it.
import { wireAttributes, type StoredAttributes, type WireAttributes } from "../objects/attributes.js";
import { SECRETS, type ManagedState } from "../objects/collection.js";
import { objectUrl } from "../objects/names.js";
import type { NameWithNewest } from "../objects/paging.js";
import type { VaultScope } from "../objects/scope.js";
import { deletedFields, type DeletedFields } from "../objects/soft-delete.js";
import type { NameRecord, VersionRecord } from "../store/repositories/objects.js";

// -- records ------------------------------------------------------------------------------------------

/** Key Vault's limit on a value, counted in characters as its error message says. */
export const MAX_VALUE_LENGTH = 25_600;

/** What belongs to the name: a certificate's secret is `managed` (its lifetime follows the certificate). */
export type SecretState = ManagedState;

/** Per version; the value itself is the version's sealed bytes (UTF-8). `kid` is vault-relative ("/keys/NAME/VERSION"). */
export interface SecretVersionData {
  contentType?: string;
  kid?: string;
  managed?: boolean;
}

export type SecretName = NameRecord<SecretState>;
export type SecretVersion = VersionRecord<StoredAttributes, SecretVersionData>;

/** A deleted secret with its newest version, as deleted-secret answers show it. */
export type DeletedSecret = NameWithNewest<SecretState, StoredAttributes, SecretVersionData>;

// -- wire JSON ------------------------------------------------------------------------------------------

/** SecretItem, as in list results: properties only, never the value. */
export interface SecretItem {
  id: string;
  attributes: WireAttributes;
  tags?: Record<string, string>;
  contentType?: string;
  managed?: true;
}

/** SecretBundle: the item's fields, the value where Key Vault returns it (set and get), and a certificate's key id. */
export interface SecretBundle extends SecretItem {
  value?: string;
  kid?: string;
}

export type DeletedSecretBundle = SecretBundle & DeletedFields;
export type DeletedSecretItem = SecretItem & DeletedFields;

export function secretItem(scope: VaultScope, v: SecretVersion, withVersion: boolean): SecretItem {
  return {
    id: objectUrl(scope.vaultUrl, SECRETS.collection, v.name, withVersion ? v.version : undefined),
    attributes: wireAttributes(v.attributes, v, scope.vault),
    ...(Object.keys(v.tags).length > 0 ? { tags: v.tags } : {}),
    ...(v.data.contentType !== undefined ? { contentType: v.data.contentType } : {}),
    ...(v.data.managed ? { managed: true as const } : {}),
  };
}

export function secretBundle(scope: VaultScope, v: SecretVersion, withValue: boolean): SecretBundle {
  return {
    ...(withValue ? { value: (v.sealed ?? Buffer.alloc(0)).toString("utf8") } : {}),
    ...secretItem(scope, v, true),
    ...(v.data.kid ? { kid: `${scope.vaultUrl}${v.data.kid}` } : {}),
  };
}

const deletedSecretFields = (scope: VaultScope, record: SecretName) =>
  deletedFields(record, objectUrl(scope.vaultUrl, SECRETS.deletedCollection, record.name));

export const deletedSecretBundle = (scope: VaultScope, { record, latest }: DeletedSecret): DeletedSecretBundle => ({
  ...secretBundle(scope, latest, false),
  ...deletedSecretFields(scope, record),
});

export const deletedSecretItem = (scope: VaultScope, { record, latest }: DeletedSecret): DeletedSecretItem => ({
  ...secretItem(scope, latest, false),
  ...deletedSecretFields(scope, record),
});
