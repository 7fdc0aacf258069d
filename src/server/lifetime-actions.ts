// Lifetime actions run on schedule, as Key Vault runs them: keys rotate and self-signed certificates renew when their
// policies say so. Every node of a shared database may run this; each action re-checks its trigger inside its write.
import { renewDueCertificates } from "../certificates/auto-renewal.js";
import { rotateDueKeys } from "../keys/rotation-schedule.js";
import { sweepActions, sweepFailures } from "../metrics/instruments.js";
import type { Store } from "../store/store.js";
import { every } from "./schedule.js";

/** Runs every `intervalMs`; returns a function that stops it (see schedule.ts). One kind failing does not stop the other. */
export function startLifetimeActions(
  store: Store,
  opts: { intervalMs: number; now: () => number },
  onError: (err: unknown) => void = () => {},
): () => Promise<void> {
  const failed = (err: unknown) => {
    sweepFailures.labels("lifetime-actions").inc();
    onError(err);
  };
  return every(opts.intervalMs, () => runLifetimeActions(store, opts.now(), failed), failed);
}

/** One run at `now`, counting what it rotated and renewed. */
export function runLifetimeActions(store: Store, now: number, onError: (err: unknown) => void): Promise<unknown> {
  const counted = (action: "rotation" | "renewal", run: Promise<number>) =>
    run.then((n) => sweepActions.labels(action).inc(n), onError);
  return Promise.all([
    counted("rotation", rotateDueKeys(store, now)),
    counted("renewal", renewDueCertificates(store, now)),
  ]);
}
