// Lifetime actions run on schedule, as Key Vault runs them: keys rotate and self-signed certificates renew when their
// policies say so. Every node of a shared database may run this; each action re-checks its trigger inside its write.
import { renewDueCertificates } from "../certificates/auto-renewal.js";
import { rotateDueKeys } from "../keys/rotation-schedule.js";
import { sweepActions, sweepFailures } from "../metrics/instruments.js";
import type { Store } from "../store/store.js";
import { every } from "./schedule.js";

/** Runs every `intervalMs`; returns a function that stops it (see schedule.ts). One kind failing does not stop the other. */
export function startLifetimeActions(store: Store, intervalMs = 60_000, onError: (err: unknown) => void = () => {}): () => Promise<void> {
  const failed = (err: unknown) => {
    sweepFailures.labels("lifetime-actions").inc();
    onError(err);
  };
  const counted = (action: "rotation" | "renewal", run: Promise<number>) => run.then((n) => sweepActions.labels(action).inc(n), failed);
  return every(intervalMs, () => Promise.all([counted("rotation", rotateDueKeys(store)), counted("renewal", renewDueCertificates(store))]), failed);
}
