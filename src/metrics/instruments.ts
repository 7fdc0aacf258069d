// The server's Prometheus metrics, one registry per process (like the key pool). Every label's values come from a set
// the code fixes (operation names, status codes, reasons): never a vault's or an object's name, so the number of
// series stays bounded however many names clients use, and a scrape reveals no names.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** What the key-pool gauges read; the server points it at crypto/key-pool.ts's pool (metrics sit below crypto). */
export const keyPoolState = { read: (): { ready: number; generating: boolean } => ({ ready: 0, generating: false }) };

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: "kluis_" });

const registers = [registry];

export const requests = new Counter({
  name: "kluis_http_requests_total",
  help: "HTTP requests answered, by operation (Key Vault operation, ARM action or route template), status class and code.",
  labelNames: ["operation", "class", "code"] as const,
  registers,
});

export const requestDuration = new Histogram({
  name: "kluis_http_request_duration_seconds",
  help: "Time from a request's arrival to its answer, by operation.",
  labelNames: ["operation"] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers,
});

export const openConnections = new Gauge({
  name: "kluis_open_connections",
  help: "TCP connections to the HTTPS port held now.",
  registers,
});

const sealing = new Counter({
  name: "kluis_sealed_store_operations_total",
  help: "Values sealed and opened under the master key (AES-256-GCM); result failed: a sealed value that did not open.",
  labelNames: ["operation", "result"] as const,
  registers,
});
/** Bound once: these are counted on every secret read and write. */
export const sealed = sealing.labels("seal", "ok");
export const opened = sealing.labels("open", "ok");
export const openFailed = sealing.labels("open", "failed");

new Gauge({
  name: "kluis_key_pool_ready_keys",
  help: "Pre-generated RSA-2048 keys ready for new certificates.",
  registers,
  collect() {
    this.set(keyPoolState.read().ready);
  },
});
new Gauge({
  name: "kluis_key_pool_generating",
  help: "1 while the key pool is generating keys to refill, else 0.",
  registers,
  collect() {
    this.set(keyPoolState.read().generating ? 1 : 0);
  },
});

export const sweepActions = new Counter({
  name: "kluis_sweep_actions_total",
  help: "What the background sweeps did: purge (a deleted object or vault past retention), rotation (a key), renewal (a certificate).",
  labelNames: ["action"] as const,
  registers,
});
export const sweepFailures = new Counter({
  name: "kluis_sweep_failures_total",
  help: "Background sweep runs that failed, by sweep (purge, lifetime-actions).",
  labelNames: ["sweep"] as const,
  registers,
});

export const eventDeliveries = new Counter({
  name: "kluis_event_deliveries_total",
  help: "Delivery attempts of the event queue, by channel (webhook, mail) and result (delivered, retried, dead_lettered).",
  labelNames: ["channel", "result"] as const,
  registers,
});

export const tokenResults = new Counter({
  name: "kluis_token_requests_total",
  help: "Token endpoint answers: issued, or refused with Entra's error and AADSTS code as reason (e.g. invalid_client/7000215).",
  labelNames: ["result", "reason"] as const,
  registers,
});

export const throttledRequests = new Counter({
  name: "kluis_throttled_requests_total",
  help: "Data-plane requests refused with 429 by the service limits (--throttling), by Key Vault's reason.",
  labelNames: ["reason"] as const,
  registers,
});

export const storeUnavailable = new Counter({
  name: "kluis_store_unavailable_total",
  help: "Requests answered 503 because the database (PostgreSQL) could not be reached.",
  registers,
});
