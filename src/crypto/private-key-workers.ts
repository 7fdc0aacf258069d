// RSA private-key operations (about 250 µs each at 2048 bits, eight times that at 4096), the P-256K/P-384/P-521 scalar
// multiplications of ECDSA (hundreds of µs to milliseconds each) and batches of P-256 nonces drawn ahead run on worker
// threads: the event loop keeps serving requests meanwhile, and another core does the arithmetic. Handing one over
// costs the event loop about 25 µs. KeyObjects cross to a worker by reference to the same native key; nothing is
// exported.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { createECDH, type ECDH, type KeyObject } from "node:crypto";

export interface PrivateKeyOptions {
  key: KeyObject;
  padding: number;
  oaepHash?: string;
}

type Operation = "privateEncrypt" | "privateDecrypt" | "baseMultiply" | "baseMultiplyFresh";

const ecdhByCurve = new Map<string, ECDH>();

/**
 * k·G on an OpenSSL curve, for a given scalar k (big-endian, in [1, n-1]) or a fresh random one drawn by OpenSSL:
 * the point (uncompressed), then k as long as a coordinate. One ECDH object per curve serves every call (making one
 * costs as much as a P-256 multiplication): each call sets or draws its own k.
 */
export function baseMultiply(curve: string, k?: Buffer): Buffer {
  let ecdh = ecdhByCurve.get(curve);
  if (!ecdh) ecdhByCurve.set(curve, (ecdh = createECDH(curve)));
  return multiplyWith(ecdh, k);
}

// Self-contained, even of its imports (a bundler may rename those): its source also runs in the workers.
// generateKeys() returns the point it made: encoding it again (getPublicKey) cost a quarter of a P-256 signature.
// getPrivateKey() leaves out k's leading zero bytes: padded, every result of a curve has one length.
function multiplyWith(ecdh: ECDH, k?: Buffer): Buffer {
  const point = k ? (ecdh.setPrivateKey(k), ecdh.getPublicKey()) : ecdh.generateKeys();
  const scalar = ecdh.getPrivateKey();
  return Buffer.concat([point, Buffer.alloc((point.length - 1) / 2 - scalar.length), scalar]);
}

// Inline, so that it runs the same from dist/ and under tsx (a worker file would need a loader for .ts).
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const crypto = require("node:crypto");
const ecdhByCurve = new Map();
const operations = {
  privateEncrypt: crypto.privateEncrypt,
  privateDecrypt: crypto.privateDecrypt,
  baseMultiply: (curve, k) => {
    let ecdh = ecdhByCurve.get(curve);
    if (!ecdh) ecdhByCurve.set(curve, (ecdh = crypto.createECDH(curve)));
    return (${multiplyWith.toString()})(ecdh, k);
  },
  baseMultiplyFresh: (curve, count) =>
    Buffer.concat(Array.from({ length: count }, () => operations.baseMultiply(curve))),
};
parentPort.on("message", ({ id, operation, args }) => {
  try {
    parentPort.postMessage({ id, result: operations[operation](...args) });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message) });
  }
});
`;

interface Pending {
  resolve: (result: Buffer) => void;
  reject: (error: Error) => void;
}

class PrivateKeyWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.on("message", ({ id, result, error }: { id: number; result?: Uint8Array; error?: string }) => {
      const call = this.pending.get(id)!;
      this.pending.delete(id);
      if (this.pending.size === 0) this.worker.unref();
      if (error !== undefined) call.reject(new Error(error));
      else call.resolve(Buffer.from(result!.buffer, result!.byteOffset, result!.byteLength));
    });
    // A worker that fails takes only its own calls with it; the pool starts a new one for the next call.
    this.worker.on("error", (err) => this.fail(err));
    this.worker.on("exit", () => this.fail(new Error("private-key worker exited")));
    // An idle pool never keeps the process alive (a worker is ref'd only while a call waits on it); unref'd after the
    // listeners, which would otherwise ref the worker's port again.
    this.worker.unref();
  }

  private fail(err: Error): void {
    for (const call of this.pending.values()) call.reject(err);
    this.pending.clear();
    pool = pool?.filter((w) => w !== this);
  }

  get load(): number {
    return this.pending.size;
  }

  run(operation: Operation, args: unknown[]): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, operation, args });
    });
  }
}

let pool: PrivateKeyWorker[] | undefined;

/** One worker per core but the event loop's, at least one; started on first use. */
function workers(): PrivateKeyWorker[] {
  if (!pool?.length)
    pool = Array.from({ length: Math.max(1, availableParallelism() - 1) }, () => new PrivateKeyWorker());
  return pool;
}

function onIdleWorker(operation: Operation, args: unknown[]): Promise<Buffer> {
  const idle = workers().reduce((best, w) => (w.load < best.load ? w : best));
  return idle.run(operation, args);
}

/** `crypto.privateEncrypt` / `crypto.privateDecrypt` on the least busy worker; rejects as they would throw. */
export function privateKeyOperation(
  operation: "privateEncrypt" | "privateDecrypt",
  options: PrivateKeyOptions,
  data: Buffer,
): Promise<Buffer> {
  return onIdleWorker(operation, [options, data]);
}

/** `baseMultiply` on the least busy worker. */
export function baseMultiplyOnWorker(curve: string, k?: Buffer): Promise<Buffer> {
  return onIdleWorker("baseMultiply", [curve, k]);
}

/** `count` fresh `baseMultiply` results, one after the other in one buffer, from the least busy worker. */
export function baseMultiplyFreshOnWorker(curve: string, count: number): Promise<Buffer> {
  return onIdleWorker("baseMultiplyFresh", [curve, count]);
}
