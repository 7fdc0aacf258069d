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

export const CURVES: Record<CurveName, string> = {
  "P-256": "prime256v1",
  "P-256K": "secp256k1",
  "P-384": "secp384r1",
  "P-521": "secp521r1",
};

/** Whether a request's `crv` is one of Key Vault's curves (an own key: "constructor" is no curve). */
export const isCurveName = (crv: unknown): crv is CurveName => typeof crv === "string" && Object.hasOwn(CURVES, crv);

const CURVE_BY_OPENSSL = new Map(Object.entries(CURVES).map(([name, openssl]) => [openssl, name as CurveName]));

/** Key Vault's name for the curve of an EC key, or undefined for a curve Key Vault does not have. */
export const curveNameOf = (key: KeyObject): CurveName | undefined =>
  CURVE_BY_OPENSSL.get(key.asymmetricKeyDetails?.namedCurve ?? "");

export interface KeySpec {
  kty: KeyType;
  keySize?: number;
  crv?: CurveName;
}

export const isRsa = (kty: unknown): kty is "RSA" | "RSA-HSM" => kty === "RSA" || kty === "RSA-HSM";
export const isEc = (kty: unknown): kty is "EC" | "EC-HSM" => kty === "EC" || kty === "EC-HSM";

export function generateKeyPair(spec: KeySpec): Promise<KeyObject> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, _pub: KeyObject, priv: KeyObject) => (err ? reject(err) : resolve(priv));
    if (isRsa(spec.kty))
      generateKeyPairCb("rsa", { modulusLength: spec.keySize ?? 2048, publicExponent: 0x10001 }, done);
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
export const privateKeyFromDer = (der: Buffer): KeyObject =>
  createPrivateKey({ key: der, format: "der", type: "pkcs8" });

/** JWK curve names (RFC 7518, and node's secp256k1) to Key Vault's, and back. */
const CURVE_BY_JWK = new Map<string, CurveName>([
  ["P-256", "P-256"],
  ["secp256k1", "P-256K"],
  ["P-384", "P-384"],
  ["P-521", "P-521"],
]);
const JWK_BY_CURVE = new Map([...CURVE_BY_JWK].map(([jwk, name]) => [name as string, jwk]));

/**
 * A private key from a JSON Web Key with Key Vault's curve names; throws on anything node:crypto cannot read and on
 * a curve Key Vault does not have. Whether its parts belong together is assertKeyPair's to check.
 */
export function privateKeyFromJwk(jwk: Record<string, unknown>): KeyObject {
  const kty = isRsa(String(jwk.kty)) ? "RSA" : "EC";
  const fields = kty === "RSA" ? ["n", "e", "d", "p", "q", "dp", "dq", "qi"] : ["x", "y", "d"];
  const parts = Object.fromEntries(fields.map((f) => [f, jwk[f]]));
  if (kty === "EC") {
    const crv = JWK_BY_CURVE.get(String(jwk.crv)) ?? (CURVE_BY_JWK.has(String(jwk.crv)) ? String(jwk.crv) : undefined);
    if (!crv) throw new Error(`unsupported curve ${String(jwk.crv)}`);
    parts.crv = crv;
  }
  return createPrivateKey({ key: { kty, ...parts } as never, format: "jwk" });
}

const bigintOf = (base64url: string | undefined) =>
  BigInt(`0x0${Buffer.from(base64url ?? "", "base64url").toString("hex")}`);

/**
 * node:crypto reads a JWK without checking that its parts belong together. RSA: n = p·q, d inverts e modulo p-1
 * and q-1, and the CRT parts follow from them (cheap bigint arithmetic; OpenSSL signs with the CRT parts only, so a
 * wrong d would otherwise pass), then a raw round trip. EC: d times the generator is the point (x, y).
 */
export function assertKeyPair(key: KeyObject): void {
  if (key.asymmetricKeyType === "rsa") {
    const jwk = key.export({ format: "jwk" });
    const [n, e, d, p, q] = [bigintOf(jwk.n), bigintOf(jwk.e), bigintOf(jwk.d), bigintOf(jwk.p), bigintOf(jwk.q)];
    const [dp, dq, qi] = [bigintOf(jwk.dp), bigintOf(jwk.dq), bigintOf(jwk.qi)];
    const consistent =
      p > 1n &&
      q > 1n &&
      p * q === n &&
      (e * d) % (p - 1n) === 1n &&
      (e * d) % (q - 1n) === 1n &&
      dp === d % (p - 1n) &&
      dq === d % (q - 1n) &&
      (qi * q) % p === 1n;
    if (!consistent) throw new Error("the private and public parts do not match");
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
  const expected = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x!, "base64url"),
    Buffer.from(jwk.y!, "base64url"),
  ]);
  if (!ecdh.getPublicKey().equals(expected)) throw new Error("the private and public parts do not match");
}

/** The public half of a key as Key Vault's JSON Web Key fields (base64url, Key Vault's curve names). */
export function publicJwk(key: KeyObject): Record<string, string> {
  const jwk = createPublicKey(key).export({ format: "jwk" }) as Record<string, string>;
  if (jwk.kty === "RSA") return { n: jwk.n!, e: jwk.e! };
  return { crv: CURVE_BY_JWK.get(jwk.crv!) ?? jwk.crv!, x: jwk.x!, y: jwk.y! };
}
