// Request bodies of the keys API read into typed input, with Key Vault's 400s for what it refuses.
import type { KeyObject } from "node:crypto";
import { assertKeyPair, CURVES, isCurveName, isEc, isRsa, privateKeyFromJwk, type CurveName } from "../crypto/keys.js";
import type { CipherInput, KeyMaterial } from "../crypto/key-algorithms.js";
import { badParameter } from "../http/errors.js";
import {
  readAttributes,
  readAttributesPatch,
  readTags,
  readTagsPatch,
  type AttributesPatch,
  type StoredAttributes,
} from "../objects/attributes.js";
import {
  checkImportedKey,
  checkRsaSize,
  invalidProperty,
  MAX_DURATION_SECONDS,
  RSA_PUBLIC_EXPONENT,
} from "../objects/limits.js";
import type { LifetimeActionType, RotationPolicy } from "./model.js";

type Body = Record<string, unknown>;

const KEY_OPS = ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey", "import", "export"];
const OCT_SIZES = [128, 192, 256];
const KEY_TYPES = ["RSA", "RSA-HSM", "EC", "EC-HSM", "oct", "oct-HSM"];

export const isOct = (kty: string) => kty === "oct" || kty === "oct-HSM";

/** What a new key is made of: a size (oct, RSA) or a curve (EC). */
export type KeyCreationSpec =
  { kind: "oct"; bits: number } | { kind: "rsa"; bits: number } | { kind: "ec"; crv: CurveName };

/** Fields every new version has. */
export interface VersionInput {
  kty: string;
  keyOps: string[];
  attributes: StoredAttributes;
  tags: Record<string, string>;
  exportable?: boolean;
}

export interface CreateKeyInput extends VersionInput {
  spec: KeyCreationSpec;
}

export interface ImportKeyInput extends VersionInput {
  material: KeyMaterial;
}

export interface UpdateKeyInput {
  attributes: AttributesPatch;
  /** Absent: the version keeps its tags. */
  tags?: Record<string, string>;
  /** Absent: the version keeps its operations; null: the defaults of its type. */
  keyOps?: string[] | null;
}

export interface RotationPolicyInput {
  lifetimeActions: RotationPolicy["lifetimeActions"];
  expiryTime?: string;
}

export interface SignInput {
  alg: string;
  value: Buffer;
}

export interface VerifyInput {
  alg: string;
  digest: Buffer;
  signature: Buffer;
}

export interface CipherRequest {
  alg: string;
  input: CipherInput;
}

function readKeyType(value: unknown): string {
  if (typeof value !== "string" || !KEY_TYPES.includes(value)) {
    throw badParameter(`Invalid key type (kty): '${String(value)}'. It must be one of ${KEY_TYPES.join(", ")}.`);
  }
  return value;
}

/** Key Vault's operations for a key of type `kty` that a request did not give any. */
export function defaultKeyOps(kty: string): string[] {
  if (isEc(kty)) return ["sign", "verify"];
  if (isOct(kty)) return ["encrypt", "decrypt", "wrapKey", "unwrapKey"];
  return ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"];
}

/** `key_ops` of a key of type `kty`; Key Vault's defaults when absent. */
const readKeyOps = (value: unknown, kty: string): string[] =>
  value === undefined || value === null ? defaultKeyOps(kty) : readKeyOpsList(value);

function readKeyOpsList(value: unknown): string[] {
  if (!Array.isArray(value)) throw badParameter("key_ops must be an array of key operations.");
  const ops: string[] = [];
  for (const op of value) {
    if (typeof op !== "string" || !KEY_OPS.includes(op))
      throw badParameter(`Invalid key operation: '${String(op)}'. It must be one of ${KEY_OPS.join(", ")}.`);
    ops.push(op);
  }
  return [...new Set(ops)];
}

/** The size or curve of a key to create: `key_size`, `public_exponent` and `crv` of CreateKey. */
function readCreationSpec(kty: string, body: Body): KeyCreationSpec {
  if (isOct(kty)) {
    const size = body.key_size ?? 256;
    if (typeof size !== "number" || !OCT_SIZES.includes(size)) {
      throw badParameter(
        `Invalid key_size for an oct key: ${String(size)}. It must be one of ${OCT_SIZES.join(", ")}.`,
      );
    }
    return { kind: "oct", bits: size };
  }
  if (isRsa(kty)) {
    const bits = checkRsaSize(body.key_size ?? 2048, "key_size");
    // 0 is "unset": Azure's Java SDK holds the exponent in an int and sends public_exponent 0 unless told otherwise.
    const exponent = body.public_exponent;
    if (exponent !== undefined && exponent !== null && exponent !== 0 && exponent !== RSA_PUBLIC_EXPONENT) {
      throw invalidProperty("public_exponent", `must be ${RSA_PUBLIC_EXPONENT}`);
    }
    return { kind: "rsa", bits };
  }
  const crv = body.crv ?? "P-256";
  if (!isCurveName(crv))
    throw badParameter(`Invalid curve (crv): '${String(crv)}'. It must be one of ${Object.keys(CURVES).join(", ")}.`);
  return { kind: "ec", crv };
}

/** `attributes.exportable`, a key attribute the shared object attributes do not have. */
function readExportable(attributes: unknown): boolean | undefined {
  if (typeof attributes !== "object" || attributes === null || !("exportable" in attributes)) return undefined;
  const value = attributes.exportable;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw badParameter("attributes.exportable must be a boolean.");
  return value;
}

export function readCreateKey(body: Body): CreateKeyInput {
  const kty = readKeyType(body.kty);
  const keyOps = readKeyOps(body.key_ops, kty);
  const attributes = readAttributes(body.attributes, { enabled: true });
  const tags = readTags(body.tags);
  const spec = readCreationSpec(kty, body);
  return { kty, keyOps, attributes, tags, spec, exportable: readExportable(body.attributes) };
}

const invalidJwk = (why: string) => badParameter(`The JSON Web Key is invalid: ${why}`);
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The private key (or `oct` bytes) of an imported JWK, checked as Key Vault checks it. */
function importedMaterial(jwk: Body, kty: string): KeyMaterial {
  if (isOct(kty)) {
    const bytes = typeof jwk.k === "string" ? Buffer.from(jwk.k, "base64url") : Buffer.alloc(0);
    if (!OCT_SIZES.includes(bytes.length * 8))
      throw invalidJwk(`an oct key needs 'k' of ${OCT_SIZES.join(", ")} bits.`);
    return { kind: "oct", bytes };
  }
  if (typeof jwk.d !== "string") throw invalidJwk("the private key ('d') is missing.");
  let key: KeyObject;
  try {
    key = privateKeyFromJwk(jwk);
  } catch (err) {
    throw invalidJwk(messageOf(err));
  }
  // Size first: the pairwise check of an oversized RSA key would cost a long private operation.
  checkImportedKey(key, "key");
  try {
    assertKeyPair(key);
  } catch (err) {
    throw invalidJwk(messageOf(err));
  }
  return { kind: "asymmetric", key };
}

const isObject = (value: unknown): value is Body =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export function readImportKey(body: Body): ImportKeyInput {
  const jwk = body.key;
  if (!isObject(jwk)) throw badParameter("The parameter 'key' (a JSON Web Key) is required.");
  const base = readKeyType(jwk.kty).replace("-HSM", "");
  const kty = body.Hsm === true || String(jwk.kty).endsWith("-HSM") ? `${base}-HSM` : base;
  const keyOps = readKeyOps(jwk.key_ops, kty);
  const attributes = readAttributes(body.attributes, { enabled: true });
  const tags = readTags(body.tags);
  return { kty, keyOps, material: importedMaterial(jwk, kty), attributes, tags };
}

export function readUpdateKey(body: Body): UpdateKeyInput {
  const attributes = readAttributesPatch(body.attributes);
  const tags = readTagsPatch(body.tags);
  const keyOps = body.key_ops === undefined || body.key_ops === null ? body.key_ops : readKeyOpsList(body.key_ops);
  return { attributes, ...(tags !== undefined ? { tags } : {}), ...(keyOps !== undefined ? { keyOps } : {}) };
}

// -- rotation policies ------------------------------------------------------------------------------------

const DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?$/;

/** Seconds in an ISO 8601 duration of years, months and days (Key Vault's policy units; a month counts 30 days). */
export function durationSeconds(value: unknown, field: string): number {
  const m = typeof value === "string" ? DURATION.exec(value) : null;
  if (!m || value === "P")
    throw badParameter(`${field} must be an ISO 8601 duration in years, months or days, e.g. P90D.`);
  const [years, months, days] = [m[1], m[2], m[3]].map((n) => Number(n ?? 0));
  const seconds = (years! * 365 + months! * 30 + days!) * 24 * 3600;
  // A fixed bound (not one from now) keeps an accepted policy valid at every later sweep; the dates computed from
  // it are clamped to what every SDK can read (rotation.ts).
  if (seconds > MAX_DURATION_SECONDS) throw invalidProperty(field, "is longer than 1000 years");
  return seconds;
}

function readLifetimeAction(input: unknown): RotationPolicy["lifetimeActions"][number] {
  const a = isObject(input) ? input : {};
  const action = isObject(a.action) ? a.action : {};
  const trigger = isObject(a.trigger) ? a.trigger : {};
  const type = String(action.type ?? "").toLowerCase();
  if (type !== "rotate" && type !== "notify") throw badParameter("A lifetime action's type must be Rotate or Notify.");
  const { timeAfterCreate, timeBeforeExpiry } = trigger;
  if ((timeAfterCreate === undefined) === (timeBeforeExpiry === undefined)) {
    throw badParameter("A lifetime action's trigger needs exactly one of timeAfterCreate and timeBeforeExpiry.");
  }
  const read =
    timeAfterCreate !== undefined
      ? { timeAfterCreate: String(timeAfterCreate) }
      : { timeBeforeExpiry: String(timeBeforeExpiry) };
  durationSeconds(read.timeAfterCreate ?? read.timeBeforeExpiry, "The trigger");
  const actionType: LifetimeActionType = type === "rotate" ? "Rotate" : "Notify";
  return { trigger: read, action: { type: actionType } };
}

export function readRotationPolicy(body: Body): RotationPolicyInput {
  if (body.lifetimeActions !== undefined && !Array.isArray(body.lifetimeActions))
    throw badParameter("lifetimeActions must be an array.");
  const lifetimeActions = (Array.isArray(body.lifetimeActions) ? body.lifetimeActions : []).map(readLifetimeAction);
  const expiryTime = isObject(body.attributes) ? body.attributes.expiryTime : undefined;
  if (expiryTime !== undefined && expiryTime !== null) durationSeconds(expiryTime, "attributes.expiryTime");
  return { lifetimeActions, ...(typeof expiryTime === "string" ? { expiryTime } : {}) };
}

// -- cryptographic operations ----------------------------------------------------------------------------

function readBytes(body: Body, field: string): Buffer;
function readBytes(body: Body, field: string, optional: "optional"): Buffer | undefined;
function readBytes(body: Body, field: string, optional?: "optional"): Buffer | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    if (!optional) throw badParameter(`The parameter '${field}' is required.`);
    return undefined;
  }
  if (typeof value !== "string" || !/^[A-Za-z0-9_=+/-]*$/.test(value))
    throw badParameter(`The parameter '${field}' must be base64url.`);
  return Buffer.from(value, "base64url");
}

function readAlgorithm(body: Body): string {
  if (typeof body.alg !== "string" || body.alg === "") throw badParameter("The parameter 'alg' is required.");
  return body.alg;
}

/** Sign, wrapKey and unwrapKey: `alg` and `value`. */
export const readValueOperation = (body: Body): SignInput => ({
  alg: readAlgorithm(body),
  value: readBytes(body, "value"),
});

export function readVerify(body: Body): VerifyInput {
  const alg = readAlgorithm(body);
  return { alg, digest: readBytes(body, "digest"), signature: readBytes(body, "value") };
}

export function readCipher(body: Body): CipherRequest {
  const alg = readAlgorithm(body);
  const input = {
    value: readBytes(body, "value"),
    iv: readBytes(body, "iv", "optional"),
    aad: readBytes(body, "aad", "optional"),
    tag: readBytes(body, "tag", "optional"),
  };
  return { alg, input };
}

/** GetRandomBytes' `count`: 1 to 128. */
export function readRandomBytesCount(body: Body): number {
  const count = body.count;
  if (typeof count !== "number" || !Number.isInteger(count) || count < 1 || count > 128) {
    throw badParameter("count must be an integer between 1 and 128.");
  }
  return count;
}
