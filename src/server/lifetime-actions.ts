// Lifetime actions run on schedule, as Key Vault runs them: keys rotate and self-signed certificates renew when their
// policies say so. Every node of a shared database may run this; each action re-checks its trigger inside its write.
import { renewDueCertificates } from "../certificates/auto-renewal.js";
import { rotateDueKeys } from "../keys/rotation-schedule.js";
import type { Store } from "../store/store.js";

/**
 * Runs every `intervalMs`, never two runs at once (a run that takes longer skips the next tick); returns a function
 * that stops it and waits for the run in progress, so that the store is not closed under it.
 */
export function startLifetimeActions(store: Store, intervalMs = 60_000, onError: (err: unknown) => void = () => {}): () => Promise<void> {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= Promise.all([rotateDueKeys(store).catch(onError), renewDueCertificates(store).catch(onError)]).then(() => {
      running = undefined;
    });
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
