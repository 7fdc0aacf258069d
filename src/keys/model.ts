// How a key is stored, and the JSON shapes Key Vault returns for it. Only public JWK parts ever leave: the private
// key (PKCS#8 DER) or the `oct` key bytes are the version's sealed bytes.
import { toSeconds, wireAttributes, type StoredAttributes } from "../objects/attributes.js";
import { deletedFields } from "../objects/soft-delete.js";
import { objectUrl } from "../objects/names.js";
import type { VaultScope } from "../objects/scope.js";
import type { NameRecord, VersionRecord } from "../store/store.js";

/** A key's rotation policy; its Rotate actions are run by rotation-schedule.ts, Notify actions are not (no Event Grid). */
export interface RotationPolicy {
  lifetimeActions: { trigger: { timeAfterCreate?: string; timeBeforeExpiry?: string }; action: { type: "Rotate" | "Notify" } }[];
  expiryTime?: string;
  created: number;
  updated: number;
}

/** State of a key name: `managed` when a certificate owns it, and its rotation policy once one was set. */
export interface KeyState {
  managed?: boolean;
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

export const COLLECTION = "keys";

const PUBLIC_PARTS = ["n", "e", "crv", "x", "y"] as const;

function keyAttributes(scope: VaultScope, v: KeyVersion) {
  return {
    ...wireAttributes(v.attributes, v, scope.vault),
    ...(v.data.exportable !== undefined ? { exportable: v.data.exportable } : {}),
  };
}

/** KeyBundle: the public JWK, attributes, tags and `managed` for a certificate's key. */
export function keyBundle(scope: VaultScope, v: KeyVersion) {
  const jwk: Record<string, unknown> = { kid: objectUrl(scope.vaultUrl, COLLECTION, v.name, v.version), kty: v.data.kty, key_ops: v.data.key_ops };
  for (const part of PUBLIC_PARTS) if (v.data[part] !== undefined) jwk[part] = v.data[part];
  return {
    key: jwk,
    attributes: keyAttributes(scope, v),
    tags: v.tags,
    ...(v.data.managed ? { managed: true } : {}),
  };
}

/** KeyItem, as in list results. */
export function keyItem(scope: VaultScope, v: KeyVersion, withVersion = false) {
  return {
    kid: objectUrl(scope.vaultUrl, COLLECTION, v.name, withVersion ? v.version : undefined),
    attributes: keyAttributes(scope, v),
    tags: v.tags,
    ...(v.data.managed ? { managed: true } : {}),
  };
}

export const deletedKeyFields = (scope: VaultScope, record: KeyName) =>
  deletedFields(record, objectUrl(scope.vaultUrl, "deletedkeys", record.name));

/** Key Vault's answer for a key that never had a policy set: notify 30 days before expiry. */
const DEFAULT_POLICY = { lifetimeActions: [{ trigger: { timeBeforeExpiry: "P30D" }, action: { type: "Notify" } }], attributes: {} };

export function rotationPolicyJson(scope: VaultScope, name: string, policy: RotationPolicy | undefined) {
  const id = `${objectUrl(scope.vaultUrl, COLLECTION, name)}/rotationpolicy`;
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
