// Bounds on password and client-secret checks at the token endpoint and the sign-in page. Each check is a deliberately slow scrypt hash (a few hundred
// milliseconds of a core, 32 MiB) run on libuv's small thread pool, so unbounded wrong-secret requests would queue
// every honest caller (and every file read) behind them. A check that cannot run at once is refused with 429 and
// costs nothing; past a burst of failures an address is refused outright and an application checks one at a time.

export const SIGN_IN_LIMITS = {
  /** Hashes running at once on this node: libuv has 4 threads, so half stay free for file I/O and the rest. */
  running: 2,
  /** Hashes waiting for a running slot, on this node; past that, 429 at once. */
  waiting: 16,
  /** Hashes running or waiting for one application (appId) or user. */
  perApplication: 4,
  /** Hashes running or waiting for one client address (an IPv6 address counts by its /64). */
  perAddress: 4,
  /** The sliding window failures are counted in. */
  windowMs: 60_000,
  /** Failed checks from one address in the window; past that, its unverified attempts are refused until the oldest ages out. */
  addressFailures: 10,
  /** Failed checks for one application or user in the window; past that, its checks run one at a time (the rest get 429). */
  applicationFailures: 20,
  /** Addresses and applications whose failures are remembered; past that, the least recently failed is forgotten. */
  tracked: 10_000,
} as const;

/** Why an attempt was refused, and in how many seconds it is worth retrying (the Retry-After header). */
export interface Refusal {
  reason: "address-locked" | "busy";
  retryAfterSeconds: number;
}

/** An admitted check: call `done` once it ends, with its outcome. */
export interface Admission {
  /** Resolves when a running slot is free: start hashing then. */
  ready: Promise<void>;
  done(succeeded: boolean): void;
}

/** Failure times per key, oldest first, at most `limit` of them (only whether the limit is reached matters). */
class FailureWindows {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly limit: number) {}

  /** The failures of `key` still inside the window. */
  private recent(key: string, now: number): number[] {
    const times = this.failures.get(key);
    if (!times) return [];
    while ((times[0] ?? Infinity) <= now - SIGN_IN_LIMITS.windowMs) times.shift();
    if (times.length === 0) this.failures.delete(key);
    return times;
  }

  /** True when `key` has reached the limit; then `retryAfterMs` says when its oldest failure leaves the window. */
  reached(key: string, now: number): boolean {
    return this.recent(key, now).length >= this.limit;
  }

  retryAfterMs(key: string, now: number): number {
    const oldest = this.recent(key, now)[0];
    return oldest === undefined ? 0 : oldest + SIGN_IN_LIMITS.windowMs - now;
  }

  add(key: string, now: number): void {
    const times = this.recent(key, now);
    this.failures.delete(key); // re-inserted last: the map's order is least recently failed first
    if (this.failures.size >= SIGN_IN_LIMITS.tracked) this.failures.delete(this.failures.keys().next().value!);
    times.push(now);
    if (times.length > this.limit) times.shift();
    this.failures.set(key, times);
  }
}

/** One server's sign-in bookkeeping: slots for running hashes, and failure windows per address and application. */
export class SignInThrottle {
  private running = 0;
  private readonly queue: (() => void)[] = [];
  private readonly inFlight = new Map<string, number>();
  private readonly addressFailures = new FailureWindows(SIGN_IN_LIMITS.addressFailures);
  private readonly applicationFailures = new FailureWindows(SIGN_IN_LIMITS.applicationFailures);

  /**
   * Admits a secret check for `account` (an application's appId, or `user:` and a user's UPN) from `address`, or
   * refuses it without any hashing.
   */
  admit(account: string, address: string, now = Date.now()): Admission | Refusal {
    const addressKey = `address:${addressGroup(address)}`;
    const appKey = `app:${account}`;
    if (this.addressFailures.reached(addressKey, now)) {
      return {
        reason: "address-locked",
        retryAfterSeconds: Math.max(1, Math.ceil(this.addressFailures.retryAfterMs(addressKey, now) / 1000)),
      };
    }
    // An application under attack checks one secret at a time: a right secret still gets its turn, guesses stay slow.
    const appLimit = this.applicationFailures.reached(appKey, now) ? 1 : SIGN_IN_LIMITS.perApplication;
    const busy =
      (this.inFlight.get(appKey) ?? 0) >= appLimit ||
      (this.inFlight.get(addressKey) ?? 0) >= SIGN_IN_LIMITS.perAddress ||
      (this.running >= SIGN_IN_LIMITS.running && this.queue.length >= SIGN_IN_LIMITS.waiting);
    if (busy) return { reason: "busy", retryAfterSeconds: 1 };

    this.count(appKey, +1);
    this.count(addressKey, +1);
    const ready = this.acquire();
    let ended = false;
    return {
      ready,
      done: (succeeded) => {
        if (ended) return;
        ended = true;
        this.release();
        this.count(appKey, -1);
        this.count(addressKey, -1);
        if (!succeeded) {
          const at = Date.now();
          this.addressFailures.add(addressKey, at);
          this.applicationFailures.add(appKey, at);
        }
      },
    };
  }

  private count(key: string, delta: number): void {
    const n = (this.inFlight.get(key) ?? 0) + delta;
    if (n > 0) this.inFlight.set(key, n);
    else this.inFlight.delete(key);
  }

  private acquire(): Promise<void> {
    if (this.running < SIGN_IN_LIMITS.running) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push(resolve));
  }

  /** Hands the running slot to the next waiting check, or frees it. */
  private release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.running--;
  }
}

/** The key an address is throttled under: IPv4 as it is, IPv6 by its /64 (one host usually holds a whole /64). */
export function addressGroup(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(":")) return address;
  const [head = "", tail = ""] = address.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = address.includes("::")
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
