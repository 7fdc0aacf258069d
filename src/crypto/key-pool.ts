// A small pool of pre-generated RSA-2048 keys, so that creating a certificate with the default policy does not wait
// for key generation (about 100 ms of CPU per key). Generation runs off the event loop (node:crypto's async
// generateKeyPair, on libuv's thread pool) and the pool refills in the background, one key at a time.
//
// Safety: a pool key is handed out once and removed from the pool as it is handed out, so no two objects ever share
// a key. Pool keys live only in this process's memory, never on disk: a key in the pool belongs to nothing yet, so a
// crash or restart loses only keys nobody used, and a key is sealed at rest (like any key) from the moment the
// object that takes it is stored.
import type { KeyObject } from "node:crypto";
import { generateKeyPair as generateFresh, isRsa, type KeySpec } from "./keys.js";

/** Keys kept ready; KLUIS_KEY_POOL_SIZE overrides (0 turns the pool off). */
const DEFAULT_POOL_SIZE = 8;
const POOLED_MODULUS = 2048;

export class KeyPool {
  private readonly keys: KeyObject[] = [];
  private refilling = false;

  constructor(readonly size: number) {}

  /** How many keys are ready now. */
  get ready(): number {
    return this.keys.length;
  }

  /** Whether keys are being generated to refill the pool now. */
  get generating(): boolean {
    return this.refilling;
  }

  /** A key from the pool if one is ready, otherwise a freshly generated one; either way the pool refills behind. */
  async take(): Promise<KeyObject> {
    const key = this.keys.shift();
    this.fill();
    return key ?? generateFresh({ kty: "RSA", keySize: POOLED_MODULUS });
  }

  /** Starts filling the pool in the background (idempotent). */
  fill(): void {
    if (this.refilling || this.keys.length >= this.size) return;
    this.refilling = true;
    void (async () => {
      try {
        while (this.keys.length < this.size)
          this.keys.push(await generateFresh({ kty: "RSA", keySize: POOLED_MODULUS }));
      } catch {
        // Key generation failing is not the pool's to report: take() generates on demand and surfaces the error.
      } finally {
        this.refilling = false;
      }
    })();
  }
}

function poolSize(env = process.env): number {
  const n = Number(env.KLUIS_KEY_POOL_SIZE ?? DEFAULT_POOL_SIZE);
  return Number.isInteger(n) && n >= 0 ? n : DEFAULT_POOL_SIZE;
}

/** The process's pool of RSA-2048 keys; it starts filling on first use or when the server calls warmKeyPool(). */
export const rsaKeyPool = new KeyPool(poolSize());

/**
 * Fills the pool ahead of the first certificate (called at server start), a second after start so that generation
 * does not compete with start-up itself; the timer does not keep the process alive.
 */
export function warmKeyPool(delayMs = 1000): void {
  if (rsaKeyPool.size > 0) setTimeout(() => rsaKeyPool.fill(), delayMs).unref();
}

/** generateKeyPair from ./keys.js, served from the pool for RSA-2048 (the default certificate policy's key). */
export function generateKeyPair(spec: KeySpec): Promise<KeyObject> {
  if (rsaKeyPool.size > 0 && isRsa(spec.kty) && (spec.keySize ?? 2048) === POOLED_MODULUS) return rsaKeyPool.take();
  return generateFresh(spec);
}
