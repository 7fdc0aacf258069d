// Lifetime actions run on schedule, as Key Vault runs them: keys rotate and self-signed certificates renew when their
// policies say so, certificate contacts are mailed (with a relay), and NearExpiry/Expired events are queued. Every
// node of a shared database may run this; each action re-checks its trigger, or marks its version, inside its write.
import { renewDueCertificates } from "../certificates/auto-renewal.js";
import { mailDueContacts } from "../certificates/contact-mail.js";
import { publishExpiryEvents } from "../events/expiry.js";
import { notifyDueKeys, rotateDueKeys } from "../keys/rotation-schedule.js";
import { sweepActions, sweepFailures } from "../metrics/instruments.js";
import type { Store } from "../store/store.js";
import { every } from "./schedule.js";

/** Runs every `intervalMs`; returns a function that stops it (see schedule.ts). One kind failing does not stop the other. */
export function startLifetimeActions(
  store: Store,
  opts: { intervalMs: number; now: () => number; mail: boolean },
  onError: (err: unknown) => void = () => {},
): () => Promise<void> {
  const failed = (err: unknown) => {
    sweepFailures.labels("lifetime-actions").inc();
    onError(err);
  };
  return every(opts.intervalMs, () => runLifetimeActions(store, opts.now(), opts.mail, failed), failed);
}

/** One run at `now`, counting what it rotated, renewed, mailed and published; `mail` when a relay is configured. */
export function runLifetimeActions(
  store: Store,
  now: number,
  mail: boolean,
  onError: (err: unknown) => void,
): Promise<unknown> {
  const counted = (action: "rotation" | "renewal" | "contact-mail" | "expiry-event", run: Promise<number>) =>
    run.then((n) => sweepActions.labels(action).inc(n), onError);
  return Promise.all([
    counted("rotation", rotateDueKeys(store, now)),
    counted("renewal", renewDueCertificates(store, now)),
    counted("expiry-event", publishExpiryEvents(store, now)),
    counted("expiry-event", notifyDueKeys(store, now)),
    ...(mail ? [counted("contact-mail", mailDueContacts(store, now))] : []),
  ]);
}
