// The cryptographic key operations (sign, verify, encrypt, decrypt, wrapKey, unwrapKey) and GetRandomBytes: the
// checks Key Vault makes on the key version, then the algorithm (crypto/key-algorithms.ts), whose refusals become
// Key Vault's 400 here.
import { randomBytes, type KeyObject } from "node:crypto";
import * as algorithms from "../crypto/key-algorithms.js";
import { isRsa, privateKeyFromDer } from "../crypto/keys.js";
import { badParameter, forbidden } from "../http/errors.js";
import { rsaOperationWeight } from "../http/throttling.js";
import type { ObjectScope } from "../objects/scope.js";
import type { KeyVersion } from "./model.js";
import { isOct, type CipherRequest, type SignInput, type VerifyInput } from "./requests.js";
import { keyVersion } from "./versions.js";

/** An operation's result bytes and the version that made them (its `kid`, model.ts). */
export interface KeyOperationOutput {
  version: KeyVersion;
  value: Buffer;
  iv?: Buffer;
  tag?: Buffer;
  aad?: Buffer;
}

/**
 * Parsed private keys, by the opened bytes they were parsed from: the store hands out the same bytes for a version
 * while its row is unchanged (store/opened-keys.ts), so parsing PKCS#8 (a fifth of an ES256 sign) happens once, and a
 * key goes with its bytes when the store drops them (purge, delete, or its bound).
 */
const parsedKeys = new WeakMap<Buffer, KeyObject>();

function materialFor(v: KeyVersion): algorithms.KeyMaterial {
  const sealed = v.sealed ?? Buffer.alloc(0);
  if (isOct(v.data.kty)) return { kind: "oct", bytes: sealed };
  let key = parsedKeys.get(sealed);
  if (!key) parsedKeys.set(sealed, (key = privateKeyFromDer(sealed)));
  return { kind: "asymmetric", key };
}

/** Operations Key Vault still allows outside a key's nbf/exp window: they only undo or check earlier work. */
const ALLOWED_OUTSIDE_VALIDITY = ["decrypt", "unwrapKey", "verify"];

/** The version an operation runs on, after the checks Key Vault makes: enabled, validity period, key_ops. */
async function usableVersion(
  scope: ObjectScope,
  name: string,
  version: string | undefined,
  operation: string,
): Promise<KeyVersion> {
  const v = await keyVersion(scope, name, version);
  if (!v.attributes.enabled) throw forbidden(`Operation ${operation} is not allowed on a disabled key.`, "KeyDisabled");
  const now = Math.floor(Date.now() / 1000);
  if (!ALLOWED_OUTSIDE_VALIDITY.includes(operation)) {
    if (v.attributes.nbf !== undefined && now < v.attributes.nbf)
      throw forbidden(`Operation ${operation} is not allowed on a key that is not yet valid.`, "KeyNotYetValid");
    if (v.attributes.exp !== undefined && now >= v.attributes.exp)
      throw forbidden(`Operation ${operation} is not allowed on an expired key.`, "KeyExpired");
  }
  if (!v.data.key_ops.includes(operation))
    throw forbidden(`Operation ${operation} is not permitted on this key.`, "KeyOperationForbidden");
  // The request counted once already (data-plane.ts); a larger RSA key counts the rest of its weight now.
  if (scope.throttle && isRsa(v.data.kty) && v.data.n)
    scope.throttle(rsaOperationWeight(Math.floor((v.data.n.length * 6) / 8) * 8) - 1);
  return v;
}

/** The algorithm's refusal as Key Vault's 400; anything else stays what it is. */
async function run<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw err instanceof algorithms.KeyAlgorithmError ? badParameter(err.message) : err;
  }
}

type ValueAlgorithm = (material: algorithms.KeyMaterial, alg: string, value: Buffer) => Buffer | Promise<Buffer>;

/** Sign, wrapKey and unwrapKey: `alg` and one `value` in, one value out. */
function valueOperation(operation: string, algorithm: ValueAlgorithm) {
  return async (
    scope: ObjectScope,
    name: string,
    version: string | undefined,
    { alg, value }: SignInput,
  ): Promise<KeyOperationOutput> => {
    const v = await usableVersion(scope, name, version, operation);
    return { version: v, value: await run(() => algorithm(materialFor(v), alg, value)) };
  };
}

export const sign = valueOperation("sign", algorithms.sign);
export const wrapKey = valueOperation("wrapKey", algorithms.wrapKey);
export const unwrapKey = valueOperation("unwrapKey", algorithms.unwrapKey);

export async function verify(
  scope: ObjectScope,
  name: string,
  version: string | undefined,
  { alg, digest, signature }: VerifyInput,
): Promise<boolean> {
  const v = await usableVersion(scope, name, version, "verify");
  return run(() => algorithms.verify(materialFor(v), alg, digest, signature));
}

export async function encrypt(
  scope: ObjectScope,
  name: string,
  version: string | undefined,
  { alg, input }: CipherRequest,
): Promise<KeyOperationOutput> {
  const v = await usableVersion(scope, name, version, "encrypt");
  return { version: v, ...(await run(() => algorithms.encrypt(materialFor(v), alg, input))) };
}

export async function decrypt(
  scope: ObjectScope,
  name: string,
  version: string | undefined,
  { alg, input }: CipherRequest,
): Promise<KeyOperationOutput> {
  const v = await usableVersion(scope, name, version, "decrypt");
  return { version: v, value: await run(() => algorithms.decrypt(materialFor(v), alg, input)) };
}

/** GetRandomBytes: `count` bytes from the operating system's CSPRNG. */
export const getRandomBytes = (count: number): Buffer => randomBytes(count);
