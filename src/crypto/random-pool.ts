// Random bytes for the hot path (a seal's IV, a version id), drawn from a block refilled by the CSPRNG: each
// randomBytes call costs a trip into OpenSSL (about 10 µs a PUT between the IV and the version id), a block of 4 KiB
// about as much as one. Every byte is handed out once: a block is replaced, never refilled in place, so a view given
// out earlier never changes, and an IV never repeats (as with a fresh randomBytes each time).
import { randomBytes } from "node:crypto";

const BLOCK_BYTES = 4096;

let block = Buffer.alloc(0);
let used = 0;

/** `n` (at most a block's) bytes from the CSPRNG, never handed out before. */
export function pooledRandomBytes(n: number): Buffer {
  if (n > BLOCK_BYTES) return randomBytes(n);
  if (used + n > block.length) {
    block = randomBytes(BLOCK_BYTES);
    used = 0;
  }
  used += n;
  return block.subarray(used - n, used);
}
