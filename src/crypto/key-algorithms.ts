// Key Vault's cryptographic algorithms over node:crypto, by `alg`. Key Vault signs a digest the client computed, which
// node:crypto's sign/verify cannot (they hash their input), so RSA signatures are padded here and run through the
// raw RSA primitive (PSS: rsa-pss.ts); ECDSA is ecdsa.ts. Refusals are KeyAlgorithmError, which knows no HTTP.
import {
  constants,
  createCipheriv,
  createDecipheriv,
  publicDecrypt,
  publicEncrypt,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from "node:crypto";
import { KeyAlgorithmError } from "./algorithm-error.js";
import { ecdsaSign, ecdsaVerify } from "./ecdsa.js";
import { curveNameOf, type CurveName } from "./keys.js";
import { privateKeyOperation } from "./private-key-workers.js";
import { emsaPssEncode, emsaPssVerify } from "./rsa-pss.js";

export { KeyAlgorithmError };

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

const unsupported = (alg: string, kty: string) =>
  new KeyAlgorithmError(`Algorithm ${alg} is not supported for key type ${kty}.`);

function rsaKey(material: KeyMaterial, alg: string): KeyObject {
  if (material.kind !== "asymmetric" || material.key.asymmetricKeyType !== "rsa")
    throw unsupported(alg, keyTypeOf(material));
  return material.key;
}

function keyTypeOf(material: KeyMaterial): string {
  if (material.kind === "oct") return "oct";
  return material.key.asymmetricKeyType === "rsa" ? "RSA" : "EC";
}

function signAlgorithm(alg: string, material: KeyMaterial, digest: Buffer) {
  const spec = SIGN_ALGORITHMS.get(alg);
  if (!spec) throw new KeyAlgorithmError(`Invalid algorithm: ${alg}.`);
  const { sha } = spec;
  if (digest.length !== sha.length)
    throw new KeyAlgorithmError(
      `Invalid digest length for ${alg}: expected ${sha.length} bytes, got ${digest.length}.`,
    );
  if (spec.family !== "ES") return { ...spec, key: rsaKey(material, alg) };
  if (material.kind !== "asymmetric" || material.key.asymmetricKeyType !== "ec")
    throw unsupported(alg, keyTypeOf(material));
  const crv = curveNameOf(material.key);
  if (crv !== spec.crv)
    throw new KeyAlgorithmError(`Algorithm ${alg} requires curve ${spec.crv}; this key's curve is ${crv}.`);
  return { ...spec, key: material.key };
}

// -- sign / verify ----------------------------------------------------------------------------

/** RSA signatures, and ECDSA's on P-384 and P-521, are made on a worker thread (see private-key-workers.ts). */
export async function sign(material: KeyMaterial, alg: string, digest: Buffer): Promise<Buffer> {
  const spec = signAlgorithm(alg, material, digest);
  if (spec.family === "RS")
    return privateKeyOperation(
      "privateEncrypt",
      { key: spec.key, padding: constants.RSA_PKCS1_PADDING },
      digestInfo(spec.sha, digest),
    );
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

const digestInfo = (sha: { digestInfo: string }, digest: Buffer) =>
  Buffer.concat([Buffer.from(sha.digestInfo, "hex"), digest]);

const constantEqual = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

const modulusBits = (key: KeyObject) => key.asymmetricKeyDetails!.modulusLength!;

/** m^d mod n for an encoded message no longer than the modulus. */
function rsaRaw(key: KeyObject, em: Buffer): Promise<Buffer> {
  const k = Math.ceil(modulusBits(key) / 8);
  return privateKeyOperation(
    "privateDecrypt",
    { key, padding: constants.RSA_NO_PADDING },
    Buffer.concat([Buffer.alloc(k - em.length), em]),
  );
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
const AES_BITS = [128, 192, 256] as const;
const AES_MODES = ["GCM", "CBC", "CBCPAD", "KW"] as const;

function aesSpec(alg: string, material: KeyMaterial) {
  const m = AES.exec(alg);
  const bits = AES_BITS.find((b) => String(b) === m?.[1]);
  const mode = AES_MODES.find((x) => x === m?.[2]);
  if (bits === undefined || mode === undefined) return undefined;
  if (material.kind !== "oct") throw unsupported(alg, keyTypeOf(material));
  if (material.bytes.length * 8 !== bits)
    throw new KeyAlgorithmError(
      `Algorithm ${alg} requires a ${bits}-bit key; this key has ${material.bytes.length * 8} bits.`,
    );
  return { bits, mode, key: material.bytes };
}

/** The length of an AES-GCM tag, as Key Vault makes and requires it. */
const GCM_TAG_BYTES = 16;

const decryptionFailed = () => new KeyAlgorithmError("The ciphertext could not be decrypted.");

export function encrypt(material: KeyMaterial, alg: string, input: CipherInput): CipherOutput {
  const rsa = RSA_ENCRYPTION.get(alg);
  if (rsa) {
    const key = rsaKey(material, alg);
    try {
      return { value: publicEncrypt({ key, ...rsa }, input.value) };
    } catch {
      throw new KeyAlgorithmError(`The plaintext is too long for ${alg} with this key.`);
    }
  }
  const aes = aesSpec(alg, material);
  if (!aes || aes.mode === "KW") throw new KeyAlgorithmError(`Invalid algorithm for encrypt: ${alg}.`);
  if (aes.mode === "GCM") {
    const iv = randomBytes(12);
    const cipher = createCipheriv(`aes-${aes.bits}-gcm`, aes.key, iv);
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
    throw new KeyAlgorithmError(`The plaintext for ${alg} must be a multiple of 16 bytes.`);
  }
}

function cbcIv(iv: Buffer | undefined): Buffer {
  if (iv?.length !== 16) throw new KeyAlgorithmError("AES-CBC needs an iv of 16 bytes.");
  return iv;
}

export async function decrypt(material: KeyMaterial, alg: string, input: CipherInput): Promise<Buffer> {
  const rsa = RSA_ENCRYPTION.get(alg);
  if (rsa) return rsaDecrypt(rsaKey(material, alg), rsa, input.value);
  const aes = aesSpec(alg, material);
  if (!aes || aes.mode === "KW") throw new KeyAlgorithmError(`Invalid algorithm for decrypt: ${alg}.`);
  try {
    if (aes.mode === "GCM") {
      if (!input.iv || !input.tag) throw new KeyAlgorithmError("AES-GCM decryption needs iv and tag.");
      // Key Vault's tags are 128 bits; without authTagLength node would check a shorter tag's bytes only, so a
      // 4-byte tag would be forged in 2^32 tries.
      const decipher = createDecipheriv(`aes-${aes.bits}-gcm`, aes.key, input.iv, {
        authTagLength: GCM_TAG_BYTES,
      });
      if (input.aad) decipher.setAAD(input.aad);
      decipher.setAuthTag(input.tag);
      return Buffer.concat([decipher.update(input.value), decipher.final()]);
    }
    const decipher = createDecipheriv(`aes-${aes.bits}-cbc`, aes.key, cbcIv(input.iv));
    decipher.setAutoPadding(aes.mode === "CBCPAD");
    return Buffer.concat([decipher.update(input.value), decipher.final()]);
  } catch (err) {
    if (err instanceof KeyAlgorithmError) throw err;
    throw decryptionFailed();
  }
}

async function rsaDecrypt(
  key: KeyObject,
  spec: { padding: number; oaepHash?: string },
  value: Buffer,
): Promise<Buffer> {
  if (value.length !== Math.ceil(modulusBits(key) / 8)) throw decryptionFailed();
  try {
    if (spec.padding !== constants.RSA_PKCS1_PADDING)
      return await privateKeyOperation("privateDecrypt", { key, ...spec }, value);
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
  if (aes?.mode !== "KW") throw new KeyAlgorithmError(`Invalid algorithm for wrapKey: ${alg}.`);
  if (value.length < 16 || value.length % 8 !== 0)
    throw new KeyAlgorithmError("The key to wrap must be a multiple of 8 bytes, at least 16.");
  const cipher = createCipheriv(`id-aes${aes.bits}-wrap`, aes.key, KW_IV);
  return Buffer.concat([cipher.update(value), cipher.final()]);
}

export async function unwrapKey(material: KeyMaterial, alg: string, value: Buffer): Promise<Buffer> {
  if (RSA_ENCRYPTION.has(alg)) return decrypt(material, alg, { value });
  const aes = aesSpec(alg, material);
  if (aes?.mode !== "KW") throw new KeyAlgorithmError(`Invalid algorithm for unwrapKey: ${alg}.`);
  // What wrapKey makes: n >= 2 blocks of key data and the integrity block. OpenSSL "unwraps" an empty input to an
  // empty key without checking anything (Wycheproof aes_wrap tcIds 14, 22).
  if (value.length < 24 || value.length % 8 !== 0) throw decryptionFailed();
  try {
    const decipher = createDecipheriv(`id-aes${aes.bits}-wrap`, aes.key, KW_IV);
    return Buffer.concat([decipher.update(value), decipher.final()]);
  } catch {
    throw decryptionFailed();
  }
}

/** RFC 3394's default initial value. */
const KW_IV = Buffer.from("a6a6a6a6a6a6a6a6", "hex");
