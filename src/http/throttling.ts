// Key Vault's service limits (off unless asked for): transactions per 10 s per vault, counted by kind, and optionally
// per caller within a vault. A request over a limit is Key Vault's 429 "Throttled" with Retry-After; a refused
// request is not counted (as in Key Vault).
import type { RequiredPermission } from "./permissions.js";
import { throttledRequests } from "../metrics/instruments.js";
import { throttled } from "./errors.js";

/**
 * What a request counts against. Azure's limits: secret CREATE, certificate IMPORT and key IMPORT share "write";
 * key CREATE (here also rotate and certificate create, which make a key) is "keyCreate"; the rest is "other".
 * "caller" is Kluis's own: every request of one principal in one vault.
 */
export interface ThrottleLimits {
  other?: number;
  write?: number;
  keyCreate?: number;
  caller?: number;
}

/** Azure's published software-key limits per 10 s per vault (learn.microsoft.com/azure/key-vault/general/service-limits). */
export const AZURE_LIMITS: ThrottleLimits = { other: 4000, write: 300, keyCreate: 20 };

const LIMIT_NAMES = ["other", "write", "keyCreate", "caller"] as const;
const isLimitName = (name: string | undefined): name is keyof ThrottleLimits => LIMIT_NAMES.some((n) => n === name);

const WINDOW_MS = 10_000;

/**
 * `off` (or empty), `azure`, or Azure's limits with some replaced: "other=50,write=10" (also keyCreate=, caller=);
 * each a count per 10 s.
 */
export function parseThrottling(spec: string | undefined): ThrottleLimits | undefined {
  const text = (spec ?? "").trim();
  if (text === "" || text === "off") return undefined;
  if (text === "azure") return { ...AZURE_LIMITS };
  const limits: ThrottleLimits = { ...AZURE_LIMITS };
  for (const part of text.split(",")) {
    const [key, value] = part.split("=").map((s) => s.trim());
    const count = Number(value);
    if (!isLimitName(key) || !Number.isInteger(count) || count < 1) {
      throw new Error(
        `invalid throttling "${spec}": expected off, azure, or e.g. other=50,write=10,keyCreate=5,caller=20`,
      );
    }
    limits[key] = count;
  }
  return limits;
}

/** The limit a data-plane route counts against, from the permission it declares (and the method: PATCH updates a secret). */
export function requestKind(method: string, need: RequiredPermission): "other" | "write" | "keyCreate" {
  const { collection, permission } = need;
  if (permission === "import" || (collection === "secrets" && permission === "set" && method === "PUT")) return "write";
  if (permission === "create" || permission === "rotate") return "keyCreate";
  return "other";
}

/**
 * What one operation with an RSA key counts against "other": Azure allows 4,000 RSA-2048, 1,000 RSA-3072 and 500
 * RSA-4096 software-key operations per 10 s, and enforces the weighted sum.
 */
export const rsaOperationWeight = (modulusBits: number) => (modulusBits > 3072 ? 8 : modulusBits > 2048 ? 4 : 1);

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets that refill their limit over 10 s: a burst of the whole limit, then the limit's steady rate. */
export class Throttle {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limits: ThrottleLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request of `kind` by `caller` in `vault`, or throws Key Vault's 429 (with the seconds to wait). */
  admit(vault: string, kind: "other" | "write" | "keyCreate", caller: string, weight = 1): void {
    if (weight <= 0) return;
    const checks: [string, number | undefined, string][] = [
      [`${kind}\n${vault}`, this.limits[kind], "VaultRequestTypeLimitReached"],
      [`caller\n${vault}\n${caller}`, this.limits.caller, "CallerRequestLimitReached"],
    ];
    const now = this.now();
    const held: Bucket[] = [];
    for (const [key, limit, reason] of checks) {
      if (limit === undefined) continue;
      const bucket = this.refill(key, limit, now);
      if (bucket.tokens < weight) {
        const seconds = Math.max(1, Math.ceil(((weight - bucket.tokens) * WINDOW_MS) / limit / 1000));
        throttledRequests.labels(reason).inc();
        throw throttled(reason, seconds);
      }
      held.push(bucket);
    }
    for (const bucket of held) bucket.tokens -= weight;
  }

  private refill(key: string, limit: number, now: number): Bucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      // A full bucket is the same as none: drop those before the map grows past a bound (vaults × callers).
      if (this.buckets.size >= 100_000) this.forgetFull(now);
      bucket = { tokens: limit, at: now };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(limit, bucket.tokens + ((now - bucket.at) * limit) / WINDOW_MS);
    bucket.at = now;
    return bucket;
  }

  private forgetFull(now: number): void {
    for (const [key, bucket] of this.buckets) if (now - bucket.at >= WINDOW_MS) this.buckets.delete(key);
  }
}
