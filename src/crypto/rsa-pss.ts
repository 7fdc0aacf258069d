// EMSA-PSS (RFC 8017 §9.1) over a digest the client computed: node:crypto's PSS signs a message it hashes itself,
// so the encoding is made here and run through the raw RSA primitive (key-algorithms.ts).
import { createHash, randomBytes } from "node:crypto";
import { sameBytes as constantEqual } from "./constant-time.js";

/** MGF1 (RFC 8017 §B.2.1) on `hash`. */
export function mgf1(seed: Buffer, length: number, hash: string): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0; blocks.length * seed.length < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    blocks.push(createHash(hash).update(seed).update(c).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/**
 * The encoded message for `mHash` with MGF1 on the same hash and a salt as long as the hash, as Key Vault signs;
 * `emBits` is the modulus length less one. `salt` is for tests against published vectors only.
 */
export function emsaPssEncode(
  mHash: Buffer,
  hash: string,
  emBits: number,
  salt: Buffer = randomBytes(mHash.length),
): Buffer {
  const hLen = mHash.length;
  const emLen = Math.ceil(emBits / 8);
  const h = createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - salt.length - hLen - 2), Buffer.from([1]), salt]);
  const mask = mgf1(h, db.length, hash);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  return Buffer.concat([db, h, Buffer.from([0xbc])]);
}

/** Whether `encoded` (s^e mod n, as long as the modulus) is a PSS encoding of `mHash`, whatever the salt's length. */
export function emsaPssVerify(mHash: Buffer, encoded: Buffer, hash: string, emBits: number): boolean {
  const hLen = mHash.length;
  const emLen = Math.ceil(emBits / 8);
  if (emLen < hLen + 2) return false;
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
