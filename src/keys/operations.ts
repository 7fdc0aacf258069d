// The key operations of the Key Vault data plane, named after the REST operations they implement.
import { randomBytes, type KeyObject } from "node:crypto";
import { assertKeyPair, CURVES, generateKeyPair, isCurveName, isEc, isRsa, privateKeyFromDer, privateKeyFromJwk, privateKeyToDer, publicJwk } from "../crypto/keys.js";
import { badParameter, forbidden, notFound } from "../http/errors.js";
import { rsaOperationWeight } from "../http/throttling.js";
import { readAttributes, readTags, toSeconds, type StoredAttributes } from "../objects/attributes.js";
import { collectBackup, openBackup, restoreBackup, sealBackup, type NamesBackup } from "../objects/backup.js";
import { checkImportedKey, checkRsaSize, invalidProperty, MAX_DURATION_SECONDS, MAX_UNIX_TIME, RSA_PUBLIC_EXPONENT } from "../objects/limits.js";
import { checkObjectName, newVersionRecord, objectUrl } from "../objects/names.js";
import { pageResponse, versionPage, type PageRequest } from "../objects/paging.js";
import type { VaultScope } from "../objects/scope.js";
import { assertNotDeleted, liveVersion, nameInState, purgeNames, recoverNames, softDeleteNames } from "../objects/soft-delete.js";
import type { Store } from "../store/store.js";
import type { Vault } from "../vaults/model.js";
import * as algorithms from "./algorithms.js";
import {
  COLLECTION,
  deletedKeyFields,
  keyBundle,
  keyItem,
  rotationPolicyJson,
  type KeyName,
  type KeyState,
  type KeyVersion,
  type KeyVersionData,
  type RotationPolicy,
} from "./model.js";

const KEY_OPS = ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey", "import", "export"];
const OCT_SIZES = [128, 192, 256];
const KEY_TYPES = ["RSA", "RSA-HSM", "EC", "EC-HSM", "oct", "oct-HSM"];

const keyNotFound = (name: string) =>
  notFound("KeyNotFound", `A key with (name/id) ${name} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`);
const deletedKeyNotFound = (name: string) => notFound("KeyNotFound", `Deleted Key not found: ${name}`);
/** A certificate's key changes only through the certificates API (the same words as for a certificate's secret). */
const managedKey = (operation: string) =>
  forbidden(`Operation "${operation}" is not allowed as this object's lifetime is managed by Key Vault.`);
const keyDisabled = (operation: string) => forbidden(`Operation ${operation} is not allowed on a disabled key.`, "KeyDisabled");

const isOct = (kty: string) => kty === "oct" || kty === "oct-HSM";

const liveName = (scope: VaultScope, name: string): Promise<KeyName> =>
  nameInState<KeyState>(scope.store, scope.vault.name, "key", name, false, () => keyNotFound(name));
const deletedName = (scope: VaultScope, name: string): Promise<KeyName> =>
  nameInState<KeyState>(scope.store, scope.vault.name, "key", name, true, () => deletedKeyNotFound(name));

/** The named version of a live key, or its newest one when `version` is empty. */
function keyVersion(scope: VaultScope, name: string, version?: string): Promise<KeyVersion> {
  return liveVersion<StoredAttributes, KeyVersionData>(scope.store, scope.vault.name, "key", name, version, keyNotFound);
}

/** A key a client may change through the keys API: live, and not a certificate's. */
async function unmanagedName(scope: VaultScope, name: string, operation: string): Promise<KeyName> {
  const record = await liveName(scope, name);
  if (record.state.managed) throw managedKey(operation);
  return record;
}

// -- request fields ---------------------------------------------------------------------------------

function readKeyType(value: unknown): string {
  if (typeof value !== "string" || !KEY_TYPES.includes(value)) {
    throw badParameter(`Invalid key type (kty): '${String(value)}'. It must be one of ${KEY_TYPES.join(", ")}.`);
  }
  return value;
}

function readKeyOps(value: unknown, kty: string): string[] {
  if (value === undefined || value === null) {
    if (isEc(kty)) return ["sign", "verify"];
    if (isOct(kty)) return ["encrypt", "decrypt", "wrapKey", "unwrapKey"];
    return ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"];
  }
  if (!Array.isArray(value)) throw badParameter("key_ops must be an array of key operations.");
  for (const op of value) {
    if (typeof op !== "string" || !KEY_OPS.includes(op)) throw badParameter(`Invalid key operation: '${String(op)}'. It must be one of ${KEY_OPS.join(", ")}.`);
  }
  return [...new Set(value as string[])];
}

function readBytes(body: Record<string, unknown>, field: string, required: boolean): Buffer | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    if (required) throw badParameter(`The parameter '${field}' is required.`);
    return undefined;
  }
  if (typeof value !== "string" || !/^[A-Za-z0-9_=+/-]*$/.test(value)) throw badParameter(`The parameter '${field}' must be base64url.`);
  return Buffer.from(value, "base64url");
}

function readAlgorithm(body: Record<string, unknown>): string {
  if (typeof body.alg !== "string" || body.alg === "") throw badParameter("The parameter 'alg' is required.");
  return body.alg;
}

// -- writing versions ---------------------------------------------------------------------------------

/** The version's public fields and sealed bytes for fresh key material. */
function materialRecord(material: algorithms.KeyMaterial): { data: Partial<KeyVersionData>; sealed: Buffer } {
  if (material.kind === "oct") return { data: { key_size: material.bytes.length * 8 }, sealed: material.bytes };
  return { data: publicJwk(material.key), sealed: privateKeyToDer(material.key) };
}

interface NewVersion {
  kty: string;
  keyOps: string[];
  material: algorithms.KeyMaterial;
  attributes: StoredAttributes;
  tags: Record<string, string>;
  exportable?: boolean;
  /** When the version was made, if not at the time of writing (a scheduled rotation is made as of its sweep's `now`). */
  createdAt?: number;
}

/** Adds a version (creating the name); `operation` names the request in the refusal for a certificate's key. */
function writeKeyVersion(scope: VaultScope, name: string, operation: string, fresh: NewVersion): Promise<KeyVersion> {
  return scope.store.transaction((tx) => putKeyVersion(tx, scope.vault, name, operation, fresh));
}

/** writeKeyVersion inside the caller's transaction. */
async function putKeyVersion(tx: Store, vault: Vault, name: string, operation: string, fresh: NewVersion): Promise<KeyVersion> {
  const { kty, keyOps, material, attributes, tags, exportable, createdAt } = fresh;
  const { data, sealed } = materialRecord(material);
  const current = await tx.getName<KeyState>(vault.name, "key", name);
  assertNotDeleted(current, "key", name);
  if (current?.state.managed) throw managedKey(operation);
  if (!current) await tx.putName<KeyState>({ vault: vault.name, kind: "key", name, deletedAt: null, scheduledPurgeAt: null, state: {}, sealedState: null });
  // A new version keeps the name as first written: names are case-insensitive.
  const version = {
    ...newVersionRecord<StoredAttributes, KeyVersionData>(vault.name, "key", current?.name ?? name, {
      attributes,
      tags,
      data: { kty, key_ops: keyOps, ...data, ...(exportable !== undefined ? { exportable } : {}) },
      sealed,
    }),
    ...(createdAt !== undefined ? { createdAt, updatedAt: createdAt } : {}),
  };
  return { ...version, seq: await tx.putVersion(version) };
}

/**
 * Parsed private keys, by version. Parsing PKCS#8 cost a fifth of every sign; the entry is used only while the
 * stored bytes are identical, so a changed, purged or restored version never meets a stale key. Bounded; the
 * keys live only in this process's memory, where each request's key lives anyway.
 */
const parsedKeys = new Map<string, { der: Buffer; key: KeyObject }>();
const PARSED_KEYS_MAX = 1000;

function materialFor(v: KeyVersion): algorithms.KeyMaterial {
  if (isOct(v.data.kty)) return { kind: "oct", bytes: v.sealed! };
  const id = `${v.vault}/${v.name}/${v.version}`;
  const hit = parsedKeys.get(id);
  if (hit && hit.der.equals(v.sealed!)) return { kind: "asymmetric", key: hit.key };
  const key = privateKeyFromDer(v.sealed!);
  if (parsedKeys.size >= PARSED_KEYS_MAX) parsedKeys.delete(parsedKeys.keys().next().value!);
  parsedKeys.set(id, { der: v.sealed!, key });
  return { kind: "asymmetric", key };
}

// -- create, import, read, update ----------------------------------------------------------------

async function generateMaterial(kty: string, body: Record<string, unknown>): Promise<algorithms.KeyMaterial> {
  if (isOct(kty)) {
    const size = body.key_size ?? 256;
    if (!OCT_SIZES.includes(size as number)) throw badParameter(`Invalid key_size for an oct key: ${String(size)}. It must be one of ${OCT_SIZES.join(", ")}.`);
    return { kind: "oct", bytes: randomBytes((size as number) / 8) };
  }
  if (isRsa(kty)) {
    const size = checkRsaSize(body.key_size ?? 2048, "key_size");
    // 0 is "unset": Azure's Java SDK holds the exponent in an int and sends public_exponent 0 unless told otherwise.
    if (body.public_exponent !== undefined && body.public_exponent !== null && body.public_exponent !== 0 && body.public_exponent !== RSA_PUBLIC_EXPONENT) {
      throw invalidProperty("public_exponent", `must be ${RSA_PUBLIC_EXPONENT}`);
    }
    return { kind: "asymmetric", key: await generateKeyPair({ kty: "RSA", keySize: size }) };
  }
  const crv = body.crv ?? "P-256";
  if (!isCurveName(crv)) throw badParameter(`Invalid curve (crv): '${String(crv)}'. It must be one of ${Object.keys(CURVES).join(", ")}.`);
  return { kind: "asymmetric", key: await generateKeyPair({ kty: "EC", crv }) };
}

/** `attributes.exportable`, a key attribute the shared object attributes do not have. */
function readExportable(attributes: unknown): boolean | undefined {
  const value = (attributes as { exportable?: unknown } | null | undefined)?.exportable;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw badParameter("attributes.exportable must be a boolean.");
  return value;
}

export async function createKey(scope: VaultScope, name: string, body: Record<string, unknown>) {
  checkObjectName(name, "key");
  assertNotDeleted(await scope.store.getName(scope.vault.name, "key", name), "key", name);
  const kty = readKeyType(body.kty);
  const keyOps = readKeyOps(body.key_ops, kty);
  const attributes = readAttributes(body.attributes, { enabled: true });
  const tags = readTags(body.tags);
  const material = await generateMaterial(kty, body);
  return keyBundle(scope, await writeKeyVersion(scope, name, "create", { kty, keyOps, material, attributes, tags, exportable: readExportable(body.attributes) }));
}

const invalidJwk = (why: string) => badParameter(`The JSON Web Key is invalid: ${why}`);

function importedMaterial(jwk: Record<string, unknown>, kty: string): algorithms.KeyMaterial {
  if (isOct(kty)) {
    const bytes = typeof jwk.k === "string" ? Buffer.from(jwk.k, "base64url") : Buffer.alloc(0);
    if (!OCT_SIZES.includes(bytes.length * 8)) throw invalidJwk(`an oct key needs 'k' of ${OCT_SIZES.join(", ")} bits.`);
    return { kind: "oct", bytes };
  }
  if (typeof jwk.d !== "string") throw invalidJwk("the private key ('d') is missing.");
  let key: KeyObject;
  try {
    key = privateKeyFromJwk(jwk);
  } catch (err) {
    throw invalidJwk((err as Error).message);
  }
  // Size first: the pairwise check of an oversized RSA key would cost a long private operation.
  checkImportedKey(key, "key");
  try {
    assertKeyPair(key);
  } catch (err) {
    throw invalidJwk((err as Error).message);
  }
  return { kind: "asymmetric", key };
}

export async function importKey(scope: VaultScope, name: string, body: Record<string, unknown>) {
  checkObjectName(name, "key");
  assertNotDeleted(await scope.store.getName(scope.vault.name, "key", name), "key", name);
  const jwk = body.key;
  if (!jwk || typeof jwk !== "object" || Array.isArray(jwk)) throw badParameter("The parameter 'key' (a JSON Web Key) is required.");
  const k = jwk as Record<string, unknown>;
  const base = readKeyType(k.kty).replace("-HSM", "");
  const kty = body.Hsm === true || String(k.kty).endsWith("-HSM") ? `${base}-HSM` : base;
  const keyOps = readKeyOps(k.key_ops, kty);
  const attributes = readAttributes(body.attributes, { enabled: true });
  const tags = readTags(body.tags);
  return keyBundle(scope, await writeKeyVersion(scope, name, "import", { kty, keyOps, material: importedMaterial(k, kty), attributes, tags }));
}

/** Key Vault refuses to hand out a disabled key. */
function assertReadable(v: KeyVersion): KeyVersion {
  if (!v.attributes.enabled) throw keyDisabled("get");
  return v;
}

export async function getKey(scope: VaultScope, name: string, version?: string) {
  return keyBundle(scope, assertReadable(await keyVersion(scope, name, version)));
}

export async function getKeys(scope: VaultScope, page: PageRequest) {
  const names = await scope.store.listNames<KeyState>(scope.vault.name, "key", { deleted: false, ...page });
  const items = [];
  for (const record of names.items) {
    const latest = await scope.store.getVersion<StoredAttributes, KeyVersionData>(scope.vault.name, "key", record.name);
    if (latest) items.push(keyItem(scope, latest));
  }
  return pageResponse(scope, `/${COLLECTION}`, page, { items, next: names.next }, (i) => i);
}

export async function getKeyVersions(scope: VaultScope, name: string, page: PageRequest) {
  await liveName(scope, name);
  const versions = await scope.store.listVersions<StoredAttributes, KeyVersionData>(scope.vault.name, "key", name, versionPage(page));
  return pageResponse(scope, `/${COLLECTION}/${name}/versions`, page, versions, (v) => keyItem(scope, v, true));
}

export async function updateKey(scope: VaultScope, name: string, version: string | undefined, body: Record<string, unknown>) {
  await unmanagedName(scope, name, "update");
  const v = await keyVersion(scope, name, version);
  const updated: KeyVersion = {
    ...v,
    updatedAt: Date.now(),
    attributes: readAttributes(body.attributes, v.attributes),
    tags: readTags(body.tags, v.tags),
    data: { ...v.data, key_ops: body.key_ops === undefined ? v.data.key_ops : readKeyOps(body.key_ops, v.data.kty) },
  };
  await scope.store.putVersion(updated);
  return keyBundle(scope, updated);
}

// -- rotation -------------------------------------------------------------------------------------------

const DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?$/;

/** Seconds in an ISO 8601 duration of years, months and days (Key Vault's policy units; a month counts 30 days). */
export function durationSeconds(value: unknown, field: string): number {
  const m = typeof value === "string" ? DURATION.exec(value) : null;
  if (!m || value === "P") throw badParameter(`${field} must be an ISO 8601 duration in years, months or days, e.g. P90D.`);
  const [years, months, days] = [m[1], m[2], m[3]].map((n) => Number(n ?? 0));
  const seconds = ((years! * 365) + (months! * 30) + days!) * 24 * 3600;
  // A fixed bound (not one from now) keeps an accepted policy valid at every later sweep; the dates computed from
  // it are clamped to what every SDK can read (rotatedVersion).
  if (seconds > MAX_DURATION_SECONDS) throw invalidProperty(field, "is longer than 1000 years");
  return seconds;
}

function readLifetimeAction(input: unknown): RotationPolicy["lifetimeActions"][number] {
  const a = (input ?? {}) as { trigger?: Record<string, unknown>; action?: { type?: unknown } };
  const type = String(a.action?.type ?? "").toLowerCase();
  if (type !== "rotate" && type !== "notify") throw badParameter("A lifetime action's type must be Rotate or Notify.");
  const { timeAfterCreate, timeBeforeExpiry } = a.trigger ?? {};
  if ((timeAfterCreate === undefined) === (timeBeforeExpiry === undefined)) {
    throw badParameter("A lifetime action's trigger needs exactly one of timeAfterCreate and timeBeforeExpiry.");
  }
  const trigger = timeAfterCreate !== undefined ? { timeAfterCreate: String(timeAfterCreate) } : { timeBeforeExpiry: String(timeBeforeExpiry) };
  durationSeconds(trigger.timeAfterCreate ?? trigger.timeBeforeExpiry, "The trigger");
  return { trigger, action: { type: type === "rotate" ? "Rotate" : "Notify" } };
}

export async function getKeyRotationPolicy(scope: VaultScope, name: string) {
  const record = await liveName(scope, name);
  return rotationPolicyJson(scope, name, record.state.rotationPolicy);
}

export async function updateKeyRotationPolicy(scope: VaultScope, name: string, body: Record<string, unknown>) {
  await unmanagedName(scope, name, "setrotationpolicy");
  if (body.lifetimeActions !== undefined && !Array.isArray(body.lifetimeActions)) throw badParameter("lifetimeActions must be an array.");
  const lifetimeActions = ((body.lifetimeActions ?? []) as unknown[]).map(readLifetimeAction);
  const expiryTime = (body.attributes as { expiryTime?: unknown } | undefined)?.expiryTime;
  if (expiryTime !== undefined && expiryTime !== null) durationSeconds(expiryTime, "attributes.expiryTime");
  const policy = await scope.store.transaction(async (tx) => {
    const record = await tx.getName<KeyState>(scope.vault.name, "key", name);
    const now = Date.now();
    const updated: RotationPolicy = {
      lifetimeActions,
      ...(typeof expiryTime === "string" ? { expiryTime } : {}),
      created: record!.state.rotationPolicy?.created ?? now,
      updated: now,
    };
    await tx.putName<KeyState>({ ...record!, state: { ...record!.state, rotationPolicy: updated } });
    return updated;
  });
  return rotationPolicyJson(scope, name, policy);
}

/** The creation parameters that give a key like `v`: its type and size or curve. */
function specOf(v: KeyVersion): Record<string, unknown> {
  if (isOct(v.data.kty)) return { key_size: v.data.key_size };
  if (isRsa(v.data.kty)) return { key_size: Buffer.from(v.data.n!, "base64url").length * 8 };
  return { crv: v.data.crv };
}

/** The version a rotation adds, made at `now`: like the newest one (type, size or curve, key_ops, tags), expiring as the rotation policy says. */
async function rotatedVersion(scope: VaultScope, name: string, now: number): Promise<NewVersion> {
  const record = await unmanagedName(scope, name, "rotate");
  const latest = await keyVersion(scope, name);
  const material = await generateMaterial(latest.data.kty, specOf(latest));
  const expiryTime = record.state.rotationPolicy?.expiryTime;
  const exp = expiryTime ? Math.min(toSeconds(now) + durationSeconds(expiryTime, "expiryTime"), MAX_UNIX_TIME) : undefined;
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
export async function rotateKey(scope: VaultScope, name: string) {
  return keyBundle(scope, await writeKeyVersion(scope, name, "rotate", await rotatedVersion(scope, name, Date.now())));
}

/**
 * The rotation policy's own rotation, made as of `now`. `stillDue` runs first inside the write, because on a shared
 * database another node may have rotated meanwhile; returns whether a version was added.
 */
export async function rotateKeyOnSchedule(scope: VaultScope, name: string, now: number, stillDue: (tx: Store) => Promise<boolean>): Promise<boolean> {
  const fresh = await rotatedVersion(scope, name, now);
  return scope.store.transaction(async (tx) => {
    if (!(await stillDue(tx))) return false;
    await putKeyVersion(tx, scope.vault, name, "rotate", fresh);
    return true;
  });
}

// -- soft delete lifecycle ---------------------------------------------------------------------------

async function deletedKeyBundle(scope: VaultScope, record: KeyName) {
  const latest = await scope.store.getVersion<StoredAttributes, KeyVersionData>(scope.vault.name, "key", record.name);
  if (!latest) throw deletedKeyNotFound(record.name);
  return { ...keyBundle(scope, latest), ...deletedKeyFields(scope, record) };
}

export async function deleteKey(scope: VaultScope, name: string) {
  await unmanagedName(scope, name, "delete");
  await scope.store.transaction((tx) => softDeleteNames(tx, scope.vault, ["key"], name));
  return deletedKeyBundle(scope, await deletedName(scope, name));
}

export async function getDeletedKey(scope: VaultScope, name: string) {
  return deletedKeyBundle(scope, await deletedName(scope, name));
}

/** Deleted keys of deleted certificates are listed with the certificates, not here (as Key Vault does). */
export async function getDeletedKeys(scope: VaultScope, page: PageRequest) {
  const names = await scope.store.listNames<KeyState>(scope.vault.name, "key", { deleted: true, ...page });
  const items = [];
  for (const record of names.items) {
    const latest = await scope.store.getVersion<StoredAttributes, KeyVersionData>(scope.vault.name, "key", record.name);
    if (latest && !record.state.managed) items.push({ ...keyItem(scope, latest), ...deletedKeyFields(scope, record) });
  }
  return pageResponse(scope, "/deletedkeys", page, { items, next: names.next }, (i) => i);
}

async function unmanagedDeletedName(scope: VaultScope, name: string, operation: string): Promise<KeyName> {
  const record = await deletedName(scope, name);
  if (record.state.managed) throw managedKey(operation);
  return record;
}

export async function recoverDeletedKey(scope: VaultScope, name: string) {
  await unmanagedDeletedName(scope, name, "recover");
  await scope.store.transaction((tx) => recoverNames(tx, scope.vault, ["key"], name));
  return getKey(scope, name);
}

export async function purgeDeletedKey(scope: VaultScope, name: string) {
  await unmanagedDeletedName(scope, name, "purge");
  await scope.store.transaction((tx) => purgeNames(tx, scope.vault, ["key"], name));
}

// -- backup and restore ---------------------------------------------------------------------------------

export async function backupKey(scope: VaultScope, name: string) {
  await unmanagedName(scope, name, "backup");
  return { value: sealBackup(scope.store, "key", await collectBackup(scope.store, scope.vault.name, ["key"], name)) };
}

/** Restores every version under its own id into this vault; the name must be free (neither live nor deleted). */
export async function restoreKey(scope: VaultScope, body: Record<string, unknown>) {
  const backup = openBackup<NamesBackup>(scope.store, "key", body.value);
  await scope.store.transaction((tx) => restoreBackup(tx, scope.vault, backup, "Key"));
  return keyBundle(scope, await keyVersion(scope, backup.name));
}

// -- cryptographic operations ----------------------------------------------------------------------

/** Operations Key Vault still allows outside a key's nbf/exp window: they only undo or check earlier work. */
const ALLOWED_OUTSIDE_VALIDITY = ["decrypt", "unwrapKey", "verify"];

/** The version an operation runs on, after the checks Key Vault makes: enabled, validity period, key_ops. */
async function usableVersion(scope: VaultScope, name: string, version: string | undefined, operation: string): Promise<KeyVersion> {
  const v = await keyVersion(scope, name, version);
  if (!v.attributes.enabled) throw keyDisabled(operation);
  const now = Math.floor(Date.now() / 1000);
  if (!ALLOWED_OUTSIDE_VALIDITY.includes(operation)) {
    if (v.attributes.nbf !== undefined && now < v.attributes.nbf) throw forbidden(`Operation ${operation} is not allowed on a key that is not yet valid.`, "KeyNotYetValid");
    if (v.attributes.exp !== undefined && now >= v.attributes.exp) throw forbidden(`Operation ${operation} is not allowed on an expired key.`, "KeyExpired");
  }
  if (!v.data.key_ops.includes(operation)) throw forbidden(`Operation ${operation} is not permitted on this key.`, "KeyOperationForbidden");
  // The request counted once already (data-plane.ts); a larger RSA key counts the rest of its weight now.
  if (scope.throttle && isRsa(v.data.kty) && v.data.n) scope.throttle(rsaOperationWeight(Math.floor((v.data.n.length * 6) / 8) * 8) - 1);
  return v;
}

const kidOf = (scope: VaultScope, v: KeyVersion) => objectUrl(scope.vaultUrl, COLLECTION, v.name, v.version);
const b64 = (b: Buffer) => b.toString("base64url");

/** Sign, wrapKey and unwrapKey: `alg` and one `value` in, `{kid, value}` out. */
async function valueOperation(
  scope: VaultScope,
  name: string,
  version: string | undefined,
  body: Record<string, unknown>,
  operation: string,
  run: (material: algorithms.KeyMaterial, alg: string, value: Buffer) => Buffer | Promise<Buffer>,
) {
  const alg = readAlgorithm(body);
  const value = readBytes(body, "value", true)!;
  const v = await usableVersion(scope, name, version, operation);
  return { kid: kidOf(scope, v), value: b64(await run(materialFor(v), alg, value)) };
}

export const sign = (scope: VaultScope, name: string, version: string | undefined, body: Record<string, unknown>) =>
  valueOperation(scope, name, version, body, "sign", algorithms.sign);

export const wrapKey = (scope: VaultScope, name: string, version: string | undefined, body: Record<string, unknown>) =>
  valueOperation(scope, name, version, body, "wrapKey", algorithms.wrapKey);

export const unwrapKey = (scope: VaultScope, name: string, version: string | undefined, body: Record<string, unknown>) =>
  valueOperation(scope, name, version, body, "unwrapKey", algorithms.unwrapKey);

export async function verify(scope: VaultScope, name: string, version: string | undefined, body: Record<string, unknown>) {
  const alg = readAlgorithm(body);
  const digest = readBytes(body, "digest", true)!;
  const signature = readBytes(body, "value", true)!;
  const v = await usableVersion(scope, name, version, "verify");
  return { value: await algorithms.verify(materialFor(v), alg, digest, signature) };
}

function cipherInput(body: Record<string, unknown>): algorithms.CipherInput {
  return { value: readBytes(body, "value", true)!, iv: readBytes(body, "iv", false), aad: readBytes(body, "aad", false), tag: readBytes(body, "tag", false) };
}

export async function encrypt(scope: VaultScope, name: string, version: string | undefined, body: Record<string, unknown>) {
  const alg = readAlgorithm(body);
  const input = cipherInput(body);
  const v = await usableVersion(scope, name, version, "encrypt");
  const out = algorithms.encrypt(materialFor(v), alg, input);
  return {
    kid: kidOf(scope, v),
    value: b64(out.value),
    ...(out.iv ? { iv: b64(out.iv) } : {}),
    ...(out.tag ? { tag: b64(out.tag) } : {}),
    ...(out.aad ? { aad: b64(out.aad) } : {}),
  };
}

export async function decrypt(scope: VaultScope, name: string, version: string | undefined, body: Record<string, unknown>) {
  const alg = readAlgorithm(body);
  const input = cipherInput(body);
  const v = await usableVersion(scope, name, version, "decrypt");
  return { kid: kidOf(scope, v), value: b64(await algorithms.decrypt(materialFor(v), alg, input)) };
}

/** GetRandomBytes: `count` (1-128) bytes from the operating system's CSPRNG, base64url. */
export function getRandomBytes(body: Record<string, unknown>) {
  const count = body.count;
  if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > 128) {
    throw badParameter("count must be an integer between 1 and 128.");
  }
  return { value: randomBytes(count as number).toString("base64url") };
}
