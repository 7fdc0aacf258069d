// ECDSA over a given digest. Key Vault signs a digest the client computed, which node:crypto's sign/verify cannot (they
// hash their input): OpenSSL does the scalar multiplication (ECDH), bigint the scalar arithmetic around it.
import type { KeyObject } from "node:crypto";
import { KeyAlgorithmError } from "./algorithm-error.js";
import { CURVES, curveNameOf, type CurveName } from "./keys.js";
import { baseMultiply, baseMultiplyFreshOnWorker, baseMultiplyOnWorker } from "./private-key-workers.js";

/** What ECDSA's scalar arithmetic needs of a curve: its order n, n's bit length, the byte length of its coordinates. */
interface Curve {
  n: bigint;
  bits: number;
  bytes: number;
}

// Orders from SEC 2 / FIPS 186-4, as `openssl ecparam -param_enc explicit` prints them.
const CURVE_PARAMS: Record<CurveName, Curve> = {
  "P-256": { n: BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"), bits: 256, bytes: 32 },
  "P-256K": { n: BigInt("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"), bits: 256, bytes: 32 },
  "P-384": {
    n: BigInt("0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973"),
    bits: 384,
    bytes: 48,
  },
  "P-521": {
    n: BigInt(
      "0x1fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409",
    ),
    bits: 521,
    bytes: 66,
  },
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
  const excess = digest.length * 8 - c.bits;
  return excess > 0 ? toBig(digest) >> BigInt(excess) : toBig(digest);
}

/** Each key's private scalar, read once per KeyObject (keys/crypto-operations.ts keeps one KeyObject per stored version). */
const privateScalars = new WeakMap<KeyObject, bigint>();

function privateScalar(key: KeyObject): bigint {
  let d = privateScalars.get(key);
  if (d === undefined) {
    d = toBig(Buffer.from(key.export({ format: "jwk" }).d!, "base64url"));
    privateScalars.set(key, d);
  }
  return d;
}

/**
 * Curves whose scalar multiplication costs the event loop more than handing it to a worker: OpenSSL's P-256 takes
 * about 20 µs, its secp256k1 some 300 µs, P-384 and P-521 about a millisecond or two.
 */
const ON_WORKER: ReadonlySet<CurveName> = new Set(["P-256K", "P-384", "P-521"]);

/** k·G for a given k, or a fresh random k (OpenSSL draws it uniformly from [1, n-1]): the point's x, and k. */
async function multiplyBase(crv: CurveName, k?: bigint): Promise<{ x: bigint; k: bigint }> {
  const scalar = k === undefined ? undefined : toBytes(k, CURVE_PARAMS[crv].bytes);
  return ON_WORKER.has(crv) ? pointOf(crv, await baseMultiplyOnWorker(CURVES[crv], scalar)) : multiplyHere(crv, scalar);
}

/** k·G on the event loop. */
const multiplyHere = (crv: CurveName, k?: Buffer) => pointOf(crv, baseMultiply(CURVES[crv], k));

function pointOf(crv: CurveName, out: Buffer): { x: bigint; k: bigint } {
  const { bytes } = CURVE_PARAMS[crv];
  return { x: toBig(out.subarray(1, 1 + bytes)), k: toBig(out.subarray(1 + 2 * bytes, 1 + 3 * bytes)) };
}

/** What a signature needs of its nonce k: r = x(k·G) mod n, and k⁻¹ mod n. */
interface Nonce {
  r: bigint;
  kInverse: bigint;
}

/**
 * Nonces for the curves signed on the event loop, drawn ahead a batch at a time; each is taken out of its batch once.
 * Under sustained signing a worker draws them (k·G was most of what a P-256 signature cost the event loop, which
 * keeps only the bigint arithmetic); the event loop draws a small batch itself whenever none is left.
 */
const NONCE_BATCH = 16;
// Small enough that an RSA signature queued behind a batch on the same worker waits about a millisecond at most.
const WORKER_BATCH = 64;
const drawnNonces = new Map<CurveName, Nonce[]>();
/** Batches the event loop drew itself, by curve: a second one means signing goes on, and a worker takes over. */
const drawnHere = new Map<CurveName, number>();
const refilling = new Set<CurveName>();

/**
 * The nonces of fresh points with one modular inversion for all of them (Montgomery's trick: three multiplications
 * a nonce instead of an inversion, which cost as much as the rest of a signature). The one inversion is of a product
 * of random nonces, so its bigint timing tells nothing of any one of them.
 */
function noncesOf(crv: CurveName, points: { x: bigint; k: bigint }[]): Nonce[] {
  const { n } = CURVE_PARAMS[crv];
  const products = [points[0]!.k]; // k0·…·ki mod n
  for (let i = 1; i < points.length; i++) products.push((products[i - 1]! * points[i]!.k) % n);
  let inverted = inverse(products[products.length - 1]!, n); // (k0·…·ki)⁻¹, for i from the last down
  const nonces: Nonce[] = [];
  for (let i = points.length - 1; i >= 0; i--) {
    nonces.push({ r: points[i]!.x % n, kInverse: i === 0 ? inverted : (inverted * products[i - 1]!) % n });
    inverted = (inverted * points[i]!.k) % n;
  }
  return nonces;
}

/** A batch drawn by a worker joins the curve's nonces; while it is under way the event loop signs on. */
function refill(crv: CurveName, batch: Nonce[]): void {
  refilling.add(crv);
  const size = 1 + 3 * CURVE_PARAMS[crv].bytes; // a point, then its k (private-key-workers.ts)
  baseMultiplyFreshOnWorker(CURVES[crv], WORKER_BATCH)
    .then((out) => {
      const points = Array.from({ length: out.length / size }, (_, i) => pointOf(crv, out.subarray(i * size)));
      batch.push(...noncesOf(crv, points));
    })
    // A failed worker costs nothing but speed: the event loop draws its own batches meanwhile.
    .catch(() => undefined)
    .finally(() => refilling.delete(crv));
}

/** A fresh nonce: from the drawn ones on the event loop's curves, otherwise one from a worker. */
async function freshNonce(crv: CurveName): Promise<Nonce> {
  if (ON_WORKER.has(crv)) return givenNonce(crv);
  let batch = drawnNonces.get(crv);
  if (!batch) drawnNonces.set(crv, (batch = []));
  if (!batch.length) {
    batch.push(
      ...noncesOf(
        crv,
        Array.from({ length: NONCE_BATCH }, () => multiplyHere(crv)),
      ),
    );
    drawnHere.set(crv, (drawnHere.get(crv) ?? 0) + 1);
  }
  const nonce = batch.pop()!;
  if (drawnHere.get(crv)! > 1 && batch.length < WORKER_BATCH / 2 && !refilling.has(crv)) refill(crv, batch);
  return nonce;
}

/** The nonce for k (a test vector's), or for a fresh random k. */
async function givenNonce(crv: CurveName, k?: bigint): Promise<Nonce> {
  const { n } = CURVE_PARAMS[crv];
  const point = await multiplyBase(crv, k);
  return { r: point.x % n, kInverse: inverse(point.k, n) };
}

/**
 * ECDSA over a digest the client computed (FIPS 186-4 §6.4), r‖s as JWS has it. `nonce` is for tests against
 * published vectors only (RFC 6979 gives k); a signature otherwise draws a fresh one.
 */
export async function ecdsaSign(key: KeyObject, digest: Buffer, nonce?: bigint): Promise<Buffer> {
  const crv = curveOf(key);
  const c = CURVE_PARAMS[crv];
  const d = privateScalar(key);
  const z = digestScalar(c, digest);
  for (;;) {
    // No point arithmetic of ours sees the nonce: OpenSSL draws k and computes k·G natively; the scalar arithmetic
    // below is bigint, not constant-time.
    const { r, kInverse } = nonce === undefined ? await freshNonce(crv) : await givenNonce(crv, nonce);
    const s = (kInverse * (z + r * d)) % c.n;
    if (r !== 0n && s !== 0n) return Buffer.concat([toBytes(r, c.bytes), toBytes(s, c.bytes)]);
    if (nonce !== undefined) throw new KeyAlgorithmError("The given nonce makes no signature.");
  }
}

/**
 * Key Vault keys always hold their private scalar d, so u1·G + u2·Q (FIPS 186-4 §6.4.2) is (u1 + u2·d)·G: one
 * native multiplication instead of bigint point arithmetic (which cost P-521 some 100 ms of the event loop).
 */
export async function ecdsaVerify(key: KeyObject, digest: Buffer, signature: Buffer): Promise<boolean> {
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
