// Asymmetric key generation and JWK views, all through node:crypto (keygen runs on libuv's thread pool).
import {
  constants,
  createECDH,
  createPrivateKey,
  createPublicKey,
  generateKeyPair as generateKeyPairCb,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from "node:crypto";

export type KeyType = "RSA" | "RSA-HSM" | "EC" | "EC-HSM";
export type CurveName = "P-256" | "P-256K" | "P-384" | "P-521";

export const RSA_SIZES = [2048, 3072, 4096] as const;
export const CURVES: Record<CurveName, string> = {
  "P-256": "prime256v1",
  "P-256K": "secp256k1",
  "P-384": "secp384r1",
  "P-521": "secp521r1",
};

export interface KeySpec {
  kty: KeyType;
  keySize?: number;
  crv?: CurveName;
}

export const isRsa = (kty: string) => kty === "RSA" || kty === "RSA-HSM";
export const isEc = (kty: string) => kty === "EC" || kty === "EC-HSM";

export function generateKeyPair(spec: KeySpec): Promise<KeyObject> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, _pub: KeyObject, priv: KeyObject) => (err ? reject(err) : resolve(priv));
    if (isRsa(spec.kty)) generateKeyPairCb("rsa", { modulusLength: spec.keySize ?? 2048, publicExponent: 0x10001 }, done);
    else generateKeyPairCb("ec", { namedCurve: CURVES[spec.crv ?? "P-256"] }, done);
  });
}

/** Whether `key` is of the type and size (RSA) or curve (EC) that `spec` asks for. */
export function keyMatchesSpec(key: KeyObject, spec: KeySpec): boolean {
  const details = key.asymmetricKeyDetails ?? {};
  if (isRsa(spec.kty)) return key.asymmetricKeyType === "rsa" && details.modulusLength === (spec.keySize ?? 2048);
  return key.asymmetricKeyType === "ec" && details.namedCurve === CURVES[spec.crv ?? "P-256"];
}

export const privateKeyToDer = (key: KeyObject): Buffer => key.export({ type: "pkcs8", format: "der" });
export const privateKeyFromDer = (der: Buffer): KeyObject => createPrivateKey({ key: der, format: "der", type: "pkcs8" });

const CURVE_BY_JWK: Record<string, CurveName> = { "P-256": "P-256", "secp256k1": "P-256K", "P-384": "P-384", "P-521": "P-521" };
const JWK_BY_CURVE: Record<string, string> = Object.fromEntries(Object.entries(CURVE_BY_JWK).map(([jwk, name]) => [name, jwk]));

/** A private key from a JSON Web Key with Key Vault's curve names; throws on anything node:crypto cannot read. */
export function privateKeyFromJwk(jwk: Record<string, unknown>): KeyObject {
  const kty = isRsa(String(jwk.kty)) ? "RSA" : "EC";
  const fields = kty === "RSA" ? ["n", "e", "d", "p", "q", "dp", "dq", "qi"] : ["x", "y", "d"];
  const parts = Object.fromEntries(fields.map((f) => [f, jwk[f]]));
  if (kty === "EC") parts.crv = JWK_BY_CURVE[String(jwk.crv)] ?? jwk.crv;
  const key = createPrivateKey({ key: { kty, ...parts } as never, format: "jwk" });
  if (kty === "EC" && !CURVE_BY_JWK[(key.export({ format: "jwk" }) as { crv: string }).crv]) throw new Error(`unsupported curve ${String(jwk.crv)}`);
  assertKeyPair(key);
  return key;
}

/** node:crypto reads a JWK without checking that its parts belong together; a pairwise test does. */
function assertKeyPair(key: KeyObject): void {
  if (key.asymmetricKeyType === "rsa") {
    const size = Math.ceil(key.asymmetricKeyDetails!.modulusLength! / 8);
    const message = Buffer.concat([Buffer.from([0]), randomBytes(size - 1)]);
    const raw = { padding: constants.RSA_NO_PADDING };
    const roundTrip = privateDecrypt({ key, ...raw }, publicEncrypt({ key: createPublicKey(key), ...raw }, message));
    if (!roundTrip.equals(message)) throw new Error("the private and public parts do not match");
    return;
  }
  const jwk = key.export({ format: "jwk" }) as Record<string, string>;
  const ecdh = createECDH(key.asymmetricKeyDetails!.namedCurve!);
  ecdh.setPrivateKey(Buffer.from(jwk.d!, "base64url"));
  const expected = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
  if (!ecdh.getPublicKey().equals(expected)) throw new Error("the private and public parts do not match");
}

/** The public half of a key as Key Vault's JSON Web Key fields (base64url, Key Vault's curve names). */
export function publicJwk(key: KeyObject): Record<string, string> {
  const jwk = createPublicKey(key).export({ format: "jwk" }) as Record<string, string>;
  if (jwk.kty === "RSA") return { n: jwk.n!, e: jwk.e! };
  return { crv: CURVE_BY_JWK[jwk.crv!] ?? jwk.crv!, x: jwk.x!, y: jwk.y! };
}
