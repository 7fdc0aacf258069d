// Lifetime actions run on schedule, as Key Vault runs them: keys rotate and self-signed certificates renew when their
// policies say so. Every node of a shared database may run this; each action re-checks its trigger inside its write.
import { renewDueCertificates } from "../certificates/auto-renewal.js";
import { rotateDueKeys } from "../keys/rotation-schedule.js";
import type { Store } from "../store/store.js";
import { every } from "./schedule.js";

/** Runs every `intervalMs`; returns a function that stops it (see schedule.ts). One kind failing does not stop the other. */
export function startLifetimeActions(store: Store, opts: { intervalMs: number; now: () => number }, onError: (err: unknown) => void = () => {}): () => Promise<void> {
  return every(opts.intervalMs, () => runLifetimeActions(store, opts.now(), onError), onError);
}

/** One run at `now`. */
export function runLifetimeActions(store: Store, now: number, onError: (err: unknown) => void): Promise<unknown> {
  return Promise.all([rotateDueKeys(store, now).catch(onError), renewDueCertificates(store, now).catch(onError)]);
}
