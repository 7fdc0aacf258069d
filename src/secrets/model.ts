// How a secret is stored, and the JSON shapes Key Vault returns for it.
import { wireAttributes, type StoredAttributes } from "../objects/attributes.js";
import { objectUrl } from "../objects/names.js";
import type { VaultScope } from "../objects/scope.js";
import type { NameRecord, VersionRecord } from "../store/store.js";

export const COLLECTION = "secrets";

/** Key Vault's limit on a value, counted in characters as its error message says. */
export const MAX_VALUE_LENGTH = 25_600;

/** What belongs to the name: a certificate's secret is `managed` (its lifetime follows the certificate). */
export interface SecretState {
  managed?: boolean;
}

/** Per version; the value itself is the version's sealed bytes (UTF-8). `kid` is vault-relative ("/keys/NAME/VERSION"). */
export interface SecretVersionData {
  contentType?: string;
  kid?: string;
  managed?: boolean;
}

export type SecretName = NameRecord<SecretState>;
export type SecretVersion = VersionRecord<StoredAttributes, SecretVersionData>;

/** SecretItem, as in list results: properties only, never the value. */
export function secretItem(scope: VaultScope, v: SecretVersion, withVersion: boolean) {
  return {
    id: objectUrl(scope.vaultUrl, COLLECTION, v.name, withVersion ? v.version : undefined),
    attributes: wireAttributes(v.attributes, v, scope.vault),
    ...(Object.keys(v.tags).length > 0 ? { tags: v.tags } : {}),
    ...(v.data.contentType !== undefined ? { contentType: v.data.contentType } : {}),
    ...(v.data.managed ? { managed: true } : {}),
  };
}

/** SecretBundle: the version's properties, its value only where Key Vault returns it (set and get), and a certificate's key id. */
export function secretBundle(scope: VaultScope, v: SecretVersion, withValue: boolean) {
  return {
    ...(withValue ? { value: v.sealed!.toString("utf8") } : {}),
    ...secretItem(scope, v, true),
    ...(v.data.kid ? { kid: `${scope.vaultUrl}${v.data.kid}` } : {}),
  };
}
