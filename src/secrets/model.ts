// How a secret is stored, and the JSON shapes Key Vault returns for it.
import {
  TAGS_SCHEMA,
  WIRE_ATTRIBUTES_SCHEMA,
  wireAttributes,
  type StoredAttributes,
  type WireAttributes,
} from "../objects/attributes.js";
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

/**
 * SecretBundle as a JSON schema: the routes answering with one serialize it through Fastify's precompiled serializer
 * (routes.ts). Properties in the order secretBundle writes them; a property the schema lacks is not sent.
 */
export const SECRET_BUNDLE_SCHEMA = {
  type: "object",
  properties: {
    value: { type: "string" },
    id: { type: "string" },
    attributes: WIRE_ATTRIBUTES_SCHEMA,
    tags: TAGS_SCHEMA,
    contentType: { type: "string" },
    managed: { type: "boolean" },
    kid: { type: "string" },
  },
} as const;

export type DeletedSecretBundle = SecretBundle & DeletedFields;
export type DeletedSecretItem = SecretItem & DeletedFields;

/**
 * The item's fields, after the value when one is given: one object built in Key Vault's property order (what
 * JSON.stringify follows where no response schema does), with no temporary objects for the optional fields.
 */
function secretFields(scope: VaultScope, v: SecretVersion, withVersion: boolean, value?: string): SecretBundle {
  const fields = (value === undefined ? {} : { value }) as SecretBundle;
  fields.id = objectUrl(scope.vaultUrl, SECRETS.collection, v.name, withVersion ? v.version : undefined);
  fields.attributes = wireAttributes(v.attributes, v, scope.vault);
  if (Object.keys(v.tags).length > 0) fields.tags = v.tags;
  if (v.data.contentType !== undefined) fields.contentType = v.data.contentType;
  if (v.data.managed) fields.managed = true;
  return fields;
}

export const secretItem = (scope: VaultScope, v: SecretVersion, withVersion: boolean): SecretItem =>
  secretFields(scope, v, withVersion);

export function secretBundle(scope: VaultScope, v: SecretVersion, withValue: boolean): SecretBundle {
  const bundle = secretFields(scope, v, true, withValue ? (v.sealed?.toString("utf8") ?? "") : undefined);
  if (v.data.kid) bundle.kid = `${scope.vaultUrl}${v.data.kid}`;
  return bundle;
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
