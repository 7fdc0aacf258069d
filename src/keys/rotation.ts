// Key rotation: the rotation policy, RotateKey, and the policy's own rotation that rotation-schedule.ts runs.
import { isCurveName, isRsa } from "../crypto/keys.js";
import { toSeconds, type StoredAttributes } from "../objects/attributes.js";
import { MAX_UNIX_TIME } from "../objects/limits.js";
import type { ObjectScope } from "../objects/scope.js";
import type { Store } from "../store/store.js";
import type { KeyState, KeyVersion, RotationPolicy } from "./model.js";
import { durationSeconds, isOct, type KeyCreationSpec, type RotationPolicyInput } from "./requests.js";
import {
  generateMaterial,
  keyVersion,
  liveKeyName,
  putKeyVersion,
  unmanagedKeyName,
  type NewKeyVersion,
} from "./versions.js";

/** The policy set for the key, if any (model.ts answers Key Vault's default otherwise). */
export async function getKeyRotationPolicy(scope: ObjectScope, name: string): Promise<RotationPolicy | undefined> {
  return (await liveKeyName(scope, name)).state.rotationPolicy;
}

export async function updateKeyRotationPolicy(
  scope: ObjectScope,
  name: string,
  input: RotationPolicyInput,
): Promise<RotationPolicy> {
  await unmanagedKeyName(scope, name, "setrotationpolicy");
  return scope.store.transaction(async (tx) => {
    const record = await liveKeyName({ ...scope, store: tx }, name);
    const now = Date.now();
    const updated: RotationPolicy = { ...input, created: record.state.rotationPolicy?.created ?? now, updated: now };
    await tx.objects.putName<KeyState>({ ...record, state: { ...record.state, rotationPolicy: updated } });
    return updated;
  });
}

/** The creation parameters that give a key like `v`: its type and size or curve. */
function specOf(v: KeyVersion): KeyCreationSpec {
  if (isOct(v.data.kty)) return { kind: "oct", bits: v.data.key_size ?? 256 };
  if (isRsa(v.data.kty)) return { kind: "rsa", bits: Buffer.from(v.data.n ?? "", "base64url").length * 8 };
  return { kind: "ec", crv: isCurveName(v.data.crv) ? v.data.crv : "P-256" };
}

/** The version a rotation adds, made at `now`: like the newest one (type, size or curve, key_ops, tags), expiring as the rotation policy says. */
async function rotatedVersion(scope: ObjectScope, name: string, now: number): Promise<NewKeyVersion> {
  const record = await unmanagedKeyName(scope, name, "rotate");
  const latest = await keyVersion(scope, name);
  const material = await generateMaterial(specOf(latest));
  const expiryTime = record.state.rotationPolicy?.expiryTime;
  const exp = expiryTime
    ? Math.min(toSeconds(now) + durationSeconds(expiryTime, "expiryTime"), MAX_UNIX_TIME)
    : undefined;
  const attributes: StoredAttributes = { enabled: true, ...(exp !== undefined ? { exp } : {}) };
  return {
    kty: latest.data.kty,
    keyOps: latest.data.key_ops,
    material,
    attributes,
    tags: latest.tags,
    exportable: latest.data.exportable,
    createdAt: now,
  };
}

/** RotateKey: the rotated version, made now. */
export async function rotateKey(scope: ObjectScope, name: string): Promise<KeyVersion> {
  const fresh = await rotatedVersion(scope, name, Date.now());
  return scope.store.transaction((tx) => putKeyVersion(tx, scope.vault, name, "rotate", fresh));
}

/**
 * The rotation policy's own rotation, made as of `now`. `stillDue` runs first inside the write, because on a shared
 * database another node may have rotated meanwhile; returns whether a version was added.
 */
export async function rotateKeyOnSchedule(
  scope: ObjectScope,
  name: string,
  now: number,
  stillDue: (tx: Store) => Promise<boolean>,
): Promise<boolean> {
  const fresh = await rotatedVersion(scope, name, now);
  return scope.store.transaction(async (tx) => {
    if (!(await stillDue(tx))) return false;
    await putKeyVersion(tx, scope.vault, name, "rotate", fresh);
    return true;
  });
}
