// The delivery worker: every node polls the queue, claims due rows with a lease (one node wins each row), and
// delivers them: webhook events with Event Grid's headers and Kluis's HMAC signature, e-mails through the relay.
// At least once: a row is deleted only after its receiver accepted it; a node that dies mid-delivery leaves a lease
// that runs out, and another node delivers the row again. Failures are retried with growing delays, as Event Grid
// does, until the attempts or the time-to-live run out; then the row stays as a dead letter.
import type { Mail, Mailer } from "../mail/transport.js";
import { eventDeliveries } from "../metrics/instruments.js";
import type { DeliveryRecord } from "../store/repositories/events.js";
import type { Store } from "../store/store.js";
import { callEndpoint } from "./endpoint.js";
import type { SubscriptionProperties } from "./model.js";
import { signature } from "./subscriptions.js";

/** Deliveries in flight at once per node. */
const CONCURRENCY = 8;
const DELIVERY_TIMEOUT_MS = 30_000;
/** A claimed row is this node's for this long: well past the delivery timeout, so no two nodes send it at once. */
const LEASE_MS = 3 * DELIVERY_TIMEOUT_MS;
/** Event Grid's schedule: 10 s, 30 s, 1 min, 5 min, 10 min, 30 min, then every hour. */
const BACKOFF_MS = [10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000];
/** E-mails: Kluis's own policy (the relay may be briefly down). */
const MAIL_ATTEMPTS = 10;
/** Dead letters are kept this long. */
const DEAD_LETTER_RETENTION_MS = 30 * 24 * 60 * 60_000;
/** Event Grid does not retry these: the receiver said the request itself is wrong. */
const NOT_RETRIED = new Set([400, 413]);

export interface DeliveryOptions {
  store: Store;
  /** This node's id: the lease owner. */
  nodeId: string;
  /** The time retries are scheduled by (the test clock, when shifted). */
  now: () => number;
  /** CA certificates a webhook's or relay's certificate may chain to (the system's and Kluis's). */
  ca: string;
  mailer?: Mailer;
  onError: (err: unknown) => void;
}

class Failure extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
  ) {
    super(message);
  }
}

export class DeliveryWorker {
  private inFlight = 0;
  constructor(private readonly opts: DeliveryOptions) {}

  /** One poll: claims what is due (up to the free slots) and delivers it; resolves when those deliveries are done. */
  async poll(): Promise<void> {
    const { store, nodeId } = this.opts;
    const free = CONCURRENCY - this.inFlight;
    if (free <= 0) return;
    const due = this.opts.now();
    const rows = await store.events.dueDeliveries(due, Date.now(), free);
    const work: Promise<void>[] = [];
    for (const row of rows) {
      const now = Date.now();
      if (!(await store.events.claim(row.id, nodeId, { due, now, leaseUntil: now + LEASE_MS }))) continue;
      this.inFlight++;
      work.push(this.deliver(row).finally(() => this.inFlight--));
    }
    await Promise.all(work);
  }

  /** Drops dead letters past their retention. */
  prune(): Promise<number> {
    return this.opts.store.events.pruneDeadLetters(this.opts.now() - DEAD_LETTER_RETENTION_MS);
  }

  private async deliver(row: DeliveryRecord): Promise<void> {
    const { store, nodeId } = this.opts;
    const attempts = row.attempts + 1;
    try {
      await store.durable(); // what is sent must not be undone by a power loss (store.ts)
      if (row.channel === "mail") await this.sendMail(row);
      else if (!(await this.post(row, attempts))) return; // its subscription is gone, and the row with it
      await store.events.complete(row.id, nodeId);
      eventDeliveries.labels(row.channel, "delivered").inc();
    } catch (err) {
      const failure = err instanceof Failure ? err : new Failure((err as Error).message, true);
      const maxAttempts = row.channel === "mail" ? MAIL_ATTEMPTS : await this.maxAttempts(row);
      const next = this.opts.now() + BACKOFF_MS[Math.min(attempts, BACKOFF_MS.length) - 1]!;
      const dead = !failure.retry || attempts >= maxAttempts || Date.now() + (next - this.opts.now()) > row.expiresAt;
      // A dead letter's next_attempt_at records when it died.
      const nextAttemptAt = dead ? this.opts.now() : next;
      await store.events
        .fail(row.id, nodeId, { attempts, error: failure.message.slice(0, 500), nextAttemptAt, dead })
        .catch(this.opts.onError);
      eventDeliveries.labels(row.channel, dead ? "dead_lettered" : "retried").inc();
    }
  }

  private async maxAttempts(row: DeliveryRecord): Promise<number> {
    const s = await this.opts.store.events.getSubscription<SubscriptionProperties>(row.subscription!);
    return s?.properties.retryPolicy.maxDeliveryAttempts ?? 1;
  }

  /** Posts the event; false when its subscription no longer exists. */
  private async post(row: DeliveryRecord, attempt: number): Promise<boolean> {
    const s = await this.opts.store.events.getSubscription<SubscriptionProperties>(row.subscription!);
    if (!s) return false;
    const cloud = s.properties.eventDeliverySchema === "CloudEventSchemaV1_0";
    const res = await callEndpoint(s.properties.endpointUrl, {
      method: "POST",
      headers: {
        "content-type": cloud ? "application/cloudevents+json; charset=utf-8" : "application/json",
        "aeg-event-type": "Notification",
        "aeg-subscription-name": s.name.toUpperCase(),
        "aeg-delivery-count": String(attempt - 1),
        "aeg-data-version": "1",
        "aeg-metadata-version": "1",
        "kluis-signature": signature(s.secret, row.payload, Math.floor(Date.now() / 1000)),
      },
      body: row.payload,
      ca: this.opts.ca,
      timeoutMs: DELIVERY_TIMEOUT_MS,
    }).catch((err: Error) => {
      throw new Failure(err.message, true);
    });
    if (res.status >= 200 && res.status <= 204) return true;
    throw new Failure(`the endpoint answered HTTP ${res.status}`, !NOT_RETRIED.has(res.status));
  }

  private async sendMail(row: DeliveryRecord): Promise<void> {
    if (!this.opts.mailer) throw new Failure("mail is off (no --smtp-url)", true);
    await this.opts.mailer.send(JSON.parse(row.payload) as Mail);
  }
}
