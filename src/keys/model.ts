// How a key is stored, and the JSON shapes Key Vault returns for it. Only public JWK parts ever leave: the private
// key (PKCS#8 DER) or the `oct` key bytes are the version's sealed bytes.
import { toSeconds, wireAttributes, type StoredAttributes, type WireAttributes } from "../objects/attributes.js";
import { KEYS, type ManagedState } from "../objects/collection.js";
import { objectUrl } from "../objects/names.js";
import type { VaultScope } from "../objects/scope.js";
import { deletedFields, type DeletedFields } from "../objects/soft-delete.js";
import type { NameRecord, VersionRecord } from "../store/repositories/objects.js";

// -- records ------------------------------------------------------------------------------------------

export type LifetimeActionType = "Rotate" | "Notify";

/** A key's rotation policy; its Rotate and Notify (KeyNearExpiry) actions run in rotation-schedule.ts. */
export interface RotationPolicy {
  lifetimeActions: {
    trigger: { timeAfterCreate?: string; timeBeforeExpiry?: string };
    action: { type: LifetimeActionType };
  }[];
  expiryTime?: string;
  created: number;
  updated: number;
}

/** State of a key name: `managed` when a certificate owns it, and its rotation policy once one was set. */
export interface KeyState extends ManagedState {
  rotationPolicy?: RotationPolicy;
}

export interface KeyVersionData {
  kty: string;
  key_ops: string[];
  n?: string;
  e?: string;
  crv?: string;
  x?: string;
  y?: string;
  /** Bits of an `oct` key. */
  key_size?: number;
  managed?: boolean;
  exportable?: boolean;
}

export type KeyName = NameRecord<KeyState>;
export type KeyVersion = VersionRecord<StoredAttributes, KeyVersionData>;

// -- wire JSON ------------------------------------------------------------------------------------------

/** The public half of a key as a JSON Web Key, with the version's id as `kid`. */
export interface JsonWebKey extends Pick<KeyVersionData, "kty" | "key_ops" | "n" | "e" | "crv" | "x" | "y"> {
  kid: string;
}

export interface KeyAttributes extends WireAttributes {
  exportable?: boolean;
}

export interface KeyBundle {
  key: JsonWebKey;
  attributes: KeyAttributes;
  tags: Record<string, string>;
  managed?: true;
}

export interface KeyItem {
  kid: string;
  attributes: KeyAttributes;
  tags: Record<string, string>;
  managed?: true;
}

export type DeletedKeyBundle = KeyBundle & DeletedFields;
export type DeletedKeyItem = KeyItem & DeletedFields;

/** Sign, encrypt, decrypt, wrapKey and unwrapKey: the key version used and the result, base64url. */
export interface KeyOperationResult {
  kid: string;
  value: string;
  iv?: string;
  tag?: string;
  aad?: string;
}

export interface KeyVerifyResult {
  value: boolean;
}

/** BackupKey's answer, and GetRandomBytes': one base64url value. */
export interface ValueResult {
  value: string;
}

export interface KeyRotationPolicy {
  id: string;
  lifetimeActions: RotationPolicy["lifetimeActions"];
  attributes: { expiryTime?: string; created?: number; updated?: number };
}

const PUBLIC_PARTS = ["n", "e", "crv", "x", "y"] as const;

export const kidOf = (scope: VaultScope, v: KeyVersion) =>
  objectUrl(scope.vaultUrl, KEYS.collection, v.name, v.version);

function keyAttributes(scope: VaultScope, v: KeyVersion): KeyAttributes {
  return {
    ...wireAttributes(v.attributes, v, scope.vault),
    ...(v.data.exportable !== undefined ? { exportable: v.data.exportable } : {}),
  };
}

/** KeyBundle: the public JWK, attributes, tags and `managed` for a certificate's key. */
export function keyBundle(scope: VaultScope, v: KeyVersion): KeyBundle {
  const jwk: JsonWebKey = { kid: kidOf(scope, v), kty: v.data.kty, key_ops: v.data.key_ops };
  for (const part of PUBLIC_PARTS) if (v.data[part] !== undefined) jwk[part] = v.data[part];
  return {
    key: jwk,
    attributes: keyAttributes(scope, v),
    tags: v.tags,
    ...(v.data.managed ? { managed: true as const } : {}),
  };
}

/** KeyItem, as in list results. */
export function keyItem(scope: VaultScope, v: KeyVersion, withVersion = false): KeyItem {
  return {
    kid: objectUrl(scope.vaultUrl, KEYS.collection, v.name, withVersion ? v.version : undefined),
    attributes: keyAttributes(scope, v),
    tags: v.tags,
    ...(v.data.managed ? { managed: true as const } : {}),
  };
}

const deletedKeyFields = (scope: VaultScope, record: KeyName) =>
  deletedFields(record, objectUrl(scope.vaultUrl, KEYS.deletedCollection, record.name));

export const deletedKeyBundle = (
  scope: VaultScope,
  { record, latest }: { record: KeyName; latest: KeyVersion },
): DeletedKeyBundle => ({
  ...keyBundle(scope, latest),
  ...deletedKeyFields(scope, record),
});

export const deletedKeyItem = (
  scope: VaultScope,
  { record, latest }: { record: KeyName; latest: KeyVersion },
): DeletedKeyItem => ({
  ...keyItem(scope, latest),
  ...deletedKeyFields(scope, record),
});

/** Key Vault's answer for a key that never had a policy set: notify 30 days before expiry. */
const DEFAULT_POLICY = {
  lifetimeActions: [{ trigger: { timeBeforeExpiry: "P30D" }, action: { type: "Notify" as const } }],
  attributes: {},
};

export function rotationPolicyJson(
  scope: VaultScope,
  name: string,
  policy: RotationPolicy | undefined,
): KeyRotationPolicy {
  const id = `${objectUrl(scope.vaultUrl, KEYS.collection, name)}/rotationpolicy`;
  if (!policy) return { id, ...DEFAULT_POLICY };
  return {
    id,
    lifetimeActions: policy.lifetimeActions,
    attributes: {
      ...(policy.expiryTime ? { expiryTime: policy.expiryTime } : {}),
      created: toSeconds(policy.created),
      updated: toSeconds(policy.updated),
    },
  };
}

const b64 = (b: Buffer) => b.toString("base64url");

/** A cryptographic operation's answer: the version's `kid` and the result bytes, base64url. */
export function keyOperationResult(
  scope: VaultScope,
  out: { version: KeyVersion; value: Buffer; iv?: Buffer; tag?: Buffer; aad?: Buffer },
): KeyOperationResult {
  return {
    kid: kidOf(scope, out.version),
    value: b64(out.value),
    ...(out.iv ? { iv: b64(out.iv) } : {}),
    ...(out.tag ? { tag: b64(out.tag) } : {}),
    ...(out.aad ? { aad: b64(out.aad) } : {}),
  };
}
