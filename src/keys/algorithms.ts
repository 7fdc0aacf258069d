// Key Vault's cryptographic algorithms over node:crypto. Key Vault signs a digest the client computed, which
// node:crypto's sign/verify cannot (they hash their input), so RSA signatures are padded here and run through the
// raw RSA primitive; ECDSA signs and verifies with OpenSSL's scalar multiplication (ECDH) and bigint scalar arithmetic.
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  publicDecrypt,
  publicEncrypt,
  randomBytes,
  timingSafeEqual,
  type CipherGCMTypes,
  type KeyObject,
} from "node:crypto";
import { badParameter } from "../http/errors.js";
import { CURVES, curveNameOf, type CurveName } from "../crypto/keys.js";
import { baseMultiply, baseMultiplyOnWorker, privateKeyOperation } from "../crypto/private-key-workers.js";

/** Key material an operation runs on: an asymmetric private key or the bytes of an `oct` key. */
export type KeyMaterial = { kind: "asymmetric"; key: KeyObject } | { kind: "oct"; bytes: Buffer };

// Tables a request's `alg` indexes are Maps: on an object literal, "constructor" or "__proto__" would find a member.
interface Sha {
  hash: string;
  length: number;
  digestInfo: string;
}
const SHA256: Sha = { hash: "sha256", length: 32, digestInfo: "3031300d060960864801650304020105000420" };
const SHA384: Sha = { hash: "sha384", length: 48, digestInfo: "3041300d060960864801650304020205000430" };
const SHA512: Sha = { hash: "sha512", length: 64, digestInfo: "3051300d060960864801650304020305000440" };

const SIGN_ALGORITHMS = new Map<string, { family: "RS" | "PS" | "ES"; sha: Sha; crv?: CurveName }>([
  ["RS256", { family: "RS", sha: SHA256 }],
  ["RS384", { family: "RS", sha: SHA384 }],
  ["RS512", { family: "RS", sha: SHA512 }],
  ["PS256", { family: "PS", sha: SHA256 }],
  ["PS384", { family: "PS", sha: SHA384 }],
  ["PS512", { family: "PS", sha: SHA512 }],
  ["ES256", { family: "ES", sha: SHA256, crv: "P-256" }],
  ["ES256K", { family: "ES", sha: SHA256, crv: "P-256K" }],
  ["ES384", { family: "ES", sha: SHA384, crv: "P-384" }],
  ["ES512", { family: "ES", sha: SHA512, crv: "P-521" }],
]);

const unsupported = (alg: string, kty: string) => badParameter(`Algorithm ${alg} is not supported for key type ${kty}.`);

function rsaKey(material: KeyMaterial, alg: string): KeyObject {
  if (material.kind !== "asymmetric" || material.key.asymmetricKeyType !== "rsa") throw unsupported(alg, keyTypeOf(material));
  return material.key;
}

function keyTypeOf(material: KeyMaterial): string {
  if (material.kind === "oct") return "oct";
  return material.key.asymmetricKeyType === "rsa" ? "RSA" : "EC";
}

function signAlgorithm(alg: string, material: KeyMaterial, digest: Buffer) {
  const spec = SIGN_ALGORITHMS.get(alg);
  if (!spec) throw badParameter(`Invalid algorithm: ${alg}.`);
  const { sha } = spec;
  if (digest.length !== sha.length) throw badParameter(`Invalid digest length for ${alg}: expected ${sha.length} bytes, got ${digest.length}.`);
  if (spec.family !== "ES") return { ...spec, key: rsaKey(material, alg) };
  if (material.kind !== "asymmetric" || material.key.asymmetricKeyType !== "ec") throw unsupported(alg, keyTypeOf(material));
  const crv = curveOf(material.key);
  if (crv !== spec.crv) throw badParameter(`Algorithm ${alg} requires curve ${spec.crv}; this key's curve is ${crv}.`);
  return { ...spec, key: material.key };
}

// -- sign / verify ----------------------------------------------------------------------------

/** RSA signatures, and ECDSA's on P-384 and P-521, are made on a worker thread (see private-key-workers.ts). */
export async function sign(material: KeyMaterial, alg: string, digest: Buffer): Promise<Buffer> {
  const spec = signAlgorithm(alg, material, digest);
  if (spec.family === "RS") return privateKeyOperation("privateEncrypt", { key: spec.key, padding: constants.RSA_PKCS1_PADDING }, digestInfo(spec.sha, digest));
  if (spec.family === "PS") return rsaRaw(spec.key, emsaPssEncode(digest, spec.sha.hash, modulusBits(spec.key) - 1));
  return ecdsaSign(spec.key, digest);
}

export async function verify(material: KeyMaterial, alg: string, digest: Buffer, signature: Buffer): Promise<boolean> {
  const spec = signAlgorithm(alg, material, digest);
  try {
    if (spec.family === "RS") {
      const recovered = publicDecrypt({ key: spec.key, padding: constants.RSA_PKCS1_PADDING }, signature);
      return constantEqual(recovered, digestInfo(spec.sha, digest));
    }
    if (spec.family === "PS") {
      const em = publicEncrypt({ key: spec.key, padding: constants.RSA_NO_PADDING }, signature);
      return emsaPssVerify(digest, em, spec.sha.hash, modulusBits(spec.key) - 1);
    }
  } catch {
    return false; // a signature of the wrong size or out of range
  }
  return ecdsaVerify(spec.key, digest, signature);
}

const digestInfo = (sha: { digestInfo: string }, digest: Buffer) => Buffer.concat([Buffer.from(sha.digestInfo, "hex"), digest]);

const constantEqual = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

const modulusBits = (key: KeyObject) => key.asymmetricKeyDetails!.modulusLength!;

/** m^d mod n for an encoded message no longer than the modulus. */
function rsaRaw(key: KeyObject, em: Buffer): Promise<Buffer> {
  const k = Math.ceil(modulusBits(key) / 8);
  return privateKeyOperation("privateDecrypt", { key, padding: constants.RSA_NO_PADDING }, Buffer.concat([Buffer.alloc(k - em.length), em]));
}

function mgf1(seed: Buffer, length: number, hash: string): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0; blocks.length * seed.length < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    blocks.push(createHash(hash).update(seed).update(c).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** EMSA-PSS (RFC 8017 §9.1) with MGF1 on the same hash and a salt as long as the hash, as Key Vault signs. */
function emsaPssEncode(mHash: Buffer, hash: string, emBits: number): Buffer {
  const hLen = mHash.length;
  const emLen = Math.ceil(emBits / 8);
  const salt = randomBytes(hLen);
  const h = createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - 2 * hLen - 2), Buffer.from([1]), salt]);
  const mask = mgf1(h, db.length, hash);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  return Buffer.concat([db, h, Buffer.from([0xbc])]);
}

function emsaPssVerify(mHash: Buffer, encoded: Buffer, hash: string, emBits: number): boolean {
  const hLen = mHash.length;
  const emLen = Math.ceil(emBits / 8);
  const em = encoded.subarray(encoded.length - emLen);
  if (encoded.subarray(0, encoded.length - emLen).some((b) => b !== 0) || em[emLen - 1] !== 0xbc) return false;
  const db = Buffer.from(em.subarray(0, emLen - hLen - 1));
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  if ((db[0]! & ~(0xff >> (8 * emLen - emBits))) !== 0) return false;
  const mask = mgf1(h, db.length, hash);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  const sep = db.indexOf(1);
  if (sep < 0 || db.subarray(0, sep).some((b) => b !== 0)) return false;
  const salt = db.subarray(sep + 1);
  return constantEqual(createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest(), h);
}

// -- ECDSA over a given digest -------------------------------------------------------------------

/** What ECDSA's scalar arithmetic needs of a curve: its order n and the byte length of its coordinates. */
interface Curve {
  n: bigint;
  bytes: number;
}

// Orders from SEC 2 / FIPS 186-4, as `openssl ecparam -param_enc explicit` prints them.
const CURVE_PARAMS: Record<CurveName, Curve> = {
  "P-256": { n: BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"), bytes: 32 },
  "P-256K": { n: BigInt("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"), bytes: 32 },
  "P-384": { n: BigInt("0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973"), bytes: 48 },
  "P-521": { n: BigInt("0x1fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409"), bytes: 66 },
};

/** Stored EC keys are all on Key Vault's curves (checked on create and import). */
const curveOf = (key: KeyObject): CurveName => curveNameOf(key)!;

const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;
const toBig = (b: Buffer) => (b.length ? BigInt(`0x${b.toString("hex")}`) : 0n);
const toBytes = (v: bigint, length: number) => Buffer.from(v.toString(16).padStart(length * 2, "0"), "hex");

function inverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [mod(a, m), m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
  }
  return mod(s0, m);
}

/** The digest as an integer, truncated to the order's bit length (FIPS 186-4 §6.4). */
function digestScalar(c: Curve, digest: Buffer): bigint {
  const excess = digest.length * 8 - c.n.toString(2).length;
  return excess > 0 ? toBig(digest) >> BigInt(excess) : toBig(digest);
}

/** Each key's private scalar, read once per KeyObject (operations.ts keeps one KeyObject per stored version). */
const privateScalars = new WeakMap<KeyObject, bigint>();

function privateScalar(key: KeyObject): bigint {
  let d = privateScalars.get(key);
  if (d === undefined) {
    d = toBig(Buffer.from(key.export({ format: "jwk" }).d!, "base64url"));
    privateScalars.set(key, d);
  }
  return d;
}

/** Curves whose scalar multiplication costs the event loop more than handing it to a worker (P-521: milliseconds). */
const ON_WORKER: ReadonlySet<CurveName> = new Set(["P-384", "P-521"]);

/** k·G for a given k, or a fresh random k (OpenSSL draws it uniformly from [1, n-1]): the point's x, and k. */
async function multiplyBase(crv: CurveName, k?: bigint): Promise<{ x: bigint; k: bigint }> {
  const c = CURVE_PARAMS[crv];
  const scalar = k === undefined ? undefined : toBytes(k, c.bytes);
  const out = ON_WORKER.has(crv) ? await baseMultiplyOnWorker(CURVES[crv], scalar) : baseMultiply(CURVES[crv], scalar);
  return { x: toBig(out.subarray(1, 1 + c.bytes)), k: toBig(out.subarray(1 + 2 * c.bytes)) };
}

async function ecdsaSign(key: KeyObject, digest: Buffer): Promise<Buffer> {
  const crv = curveOf(key);
  const c = CURVE_PARAMS[crv];
  const d = privateScalar(key);
  const z = digestScalar(c, digest);
  for (;;) {
    // No point arithmetic of ours sees the nonce: OpenSSL draws k and computes k·G natively; the scalar arithmetic
    // below is bigint, not constant-time.
    const nonce = await multiplyBase(crv);
    const r = nonce.x % c.n;
    if (r === 0n) continue;
    const s = (inverse(nonce.k, c.n) * (z + r * d)) % c.n;
    if (s !== 0n) return Buffer.concat([toBytes(r, c.bytes), toBytes(s, c.bytes)]);
  }
}

/**
 * Key Vault keys always hold their private scalar d, so u1·G + u2·Q (FIPS 186-4 §6.4.2) is (u1 + u2·d)·G: one
 * native multiplication instead of bigint point arithmetic (which cost P-521 some 100 ms of the event loop).
 */
async function ecdsaVerify(key: KeyObject, digest: Buffer, signature: Buffer): Promise<boolean> {
  const crv = curveOf(key);
  const c = CURVE_PARAMS[crv];
  if (signature.length !== 2 * c.bytes) return false;
  const r = toBig(signature.subarray(0, c.bytes));
  const s = toBig(signature.subarray(c.bytes));
  if (r <= 0n || r >= c.n || s <= 0n || s >= c.n) return false;
  const w = inverse(s, c.n);
  const k = mod((digestScalar(c, digest) + r * privateScalar(key)) * w, c.n);
  if (k === 0n) return false; // the point at infinity
  return (await multiplyBase(crv, k)).x % c.n === r;
}

// -- encrypt / decrypt, wrap / unwrap ----------------------------------------------------------------

export interface CipherInput {
  value: Buffer;
  iv?: Buffer;
  aad?: Buffer;
  tag?: Buffer;
}

export interface CipherOutput {
  value: Buffer;
  iv?: Buffer;
  tag?: Buffer;
  aad?: Buffer;
}

const RSA_ENCRYPTION = new Map<string, { padding: number; oaepHash?: string }>([
  ["RSA1_5", { padding: constants.RSA_PKCS1_PADDING }],
  ["RSA-OAEP", { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" }],
  ["RSA-OAEP-256", { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }],
]);

const AES = /^A(128|192|256)(GCM|CBC|CBCPAD|KW)$/;

function aesSpec(alg: string, material: KeyMaterial) {
  const m = AES.exec(alg);
  if (!m) return undefined;
  if (material.kind !== "oct") throw unsupported(alg, keyTypeOf(material));
  const bits = Number(m[1]);
  if (material.bytes.length * 8 !== bits) throw badParameter(`Algorithm ${alg} requires a ${bits}-bit key; this key has ${material.bytes.length * 8} bits.`);
  return { bits, mode: m[2] as "GCM" | "CBC" | "CBCPAD" | "KW", key: material.bytes };
}

const decryptionFailed = () => badParameter("The ciphertext could not be decrypted.");

export function encrypt(material: KeyMaterial, alg: string, input: CipherInput): CipherOutput {
  const rsa = RSA_ENCRYPTION.get(alg);
  if (rsa) {
    const key = rsaKey(material, alg);
    try {
      return { value: publicEncrypt({ key, ...rsa }, input.value) };
    } catch {
      throw badParameter(`The plaintext is too long for ${alg} with this key.`);
    }
  }
  const aes = aesSpec(alg, material);
  if (!aes || aes.mode === "KW") throw badParameter(`Invalid algorithm for encrypt: ${alg}.`);
  if (aes.mode === "GCM") {
    const iv = randomBytes(12);
    const cipher = createCipheriv(`aes-${aes.bits}-gcm` as CipherGCMTypes, aes.key, iv);
    if (input.aad) cipher.setAAD(input.aad);
    const value = Buffer.concat([cipher.update(input.value), cipher.final()]);
    return { value, iv, tag: cipher.getAuthTag(), ...(input.aad ? { aad: input.aad } : {}) };
  }
  const iv = cbcIv(input.iv);
  const cipher = createCipheriv(`aes-${aes.bits}-cbc`, aes.key, iv);
  cipher.setAutoPadding(aes.mode === "CBCPAD");
  try {
    return { value: Buffer.concat([cipher.update(input.value), cipher.final()]), iv };
  } catch {
    throw badParameter(`The plaintext for ${alg} must be a multiple of 16 bytes.`);
  }
}

function cbcIv(iv: Buffer | undefined): Buffer {
  if (iv?.length !== 16) throw badParameter("AES-CBC needs an iv of 16 bytes.");
  return iv;
}

export async function decrypt(material: KeyMaterial, alg: string, input: CipherInput): Promise<Buffer> {
  const rsa = RSA_ENCRYPTION.get(alg);
  if (rsa) return rsaDecrypt(rsaKey(material, alg), rsa, input.value);
  const aes = aesSpec(alg, material);
  if (!aes || aes.mode === "KW") throw badParameter(`Invalid algorithm for decrypt: ${alg}.`);
  try {
    if (aes.mode === "GCM") {
      if (!input.iv || !input.tag) throw badParameter("AES-GCM decryption needs iv and tag.");
      const decipher = createDecipheriv(`aes-${aes.bits}-gcm` as CipherGCMTypes, aes.key, input.iv);
      if (input.aad) decipher.setAAD(input.aad);
      decipher.setAuthTag(input.tag);
      return Buffer.concat([decipher.update(input.value), decipher.final()]);
    }
    const decipher = createDecipheriv(`aes-${aes.bits}-cbc`, aes.key, cbcIv(input.iv));
    decipher.setAutoPadding(aes.mode === "CBCPAD");
    return Buffer.concat([decipher.update(input.value), decipher.final()]);
  } catch (err) {
    if (err instanceof Error && "status" in err) throw err;
    throw decryptionFailed();
  }
}

async function rsaDecrypt(key: KeyObject, spec: { padding: number; oaepHash?: string }, value: Buffer): Promise<Buffer> {
  if (value.length !== Math.ceil(modulusBits(key) / 8)) throw decryptionFailed();
  try {
    if (spec.padding !== constants.RSA_PKCS1_PADDING) return await privateKeyOperation("privateDecrypt", { key, ...spec }, value);
    // Node refuses PKCS#1 v1.5 private decryption (CVE-2023-46809); remove the padding from the raw result.
    const em = await privateKeyOperation("privateDecrypt", { key, padding: constants.RSA_NO_PADDING }, value);
    const sep = em.indexOf(0, 2);
    if (em[0] !== 0 || em[1] !== 2 || sep < 10) throw decryptionFailed();
    return em.subarray(sep + 1);
  } catch {
    throw decryptionFailed();
  }
}

export function wrapKey(material: KeyMaterial, alg: string, value: Buffer): Buffer {
  if (RSA_ENCRYPTION.has(alg)) return encrypt(material, alg, { value }).value;
  const aes = aesSpec(alg, material);
  if (aes?.mode !== "KW") throw badParameter(`Invalid algorithm for wrapKey: ${alg}.`);
  if (value.length < 16 || value.length % 8 !== 0) throw badParameter("The key to wrap must be a multiple of 8 bytes, at least 16.");
  const cipher = createCipheriv(`id-aes${aes.bits}-wrap`, aes.key, KW_IV);
  return Buffer.concat([cipher.update(value), cipher.final()]);
}

export async function unwrapKey(material: KeyMaterial, alg: string, value: Buffer): Promise<Buffer> {
  if (RSA_ENCRYPTION.has(alg)) return decrypt(material, alg, { value });
  const aes = aesSpec(alg, material);
  if (aes?.mode !== "KW") throw badParameter(`Invalid algorithm for unwrapKey: ${alg}.`);
  try {
    const decipher = createDecipheriv(`id-aes${aes.bits}-wrap`, aes.key, KW_IV);
    return Buffer.concat([decipher.update(value), decipher.final()]);
  } catch {
    throw decryptionFailed();
  }
}

/** RFC 3394's default initial value. */
const KW_IV = Buffer.from("a6a6a6a6a6a6a6a6", "hex");
