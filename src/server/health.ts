// Health probes for an orchestrator or a load balancer. Liveness says the process serves HTTP at all (restart it when
// not); readiness says it can serve requests now, which needs the database (send it no traffic when not). A node whose
// PostgreSQL is away is alive but not ready: restarting it would not bring the database back.
import type { FastifyInstance } from "fastify";
import { RETRY_AFTER_SECONDS } from "../http/error-handler.js";
import { ANSWERS_HEAD } from "../http/route.js";
import type { Store } from "../store/store.js";

/** A probe gets its answer within this, whatever the database does. */
const READINESS_TIMEOUT_MS = 2_000;

export function healthRoutes(app: FastifyInstance, store: Store): void {
  const alive = async () => ({ status: "ok" });
  // Load balancers may probe with HEAD.
  app.get("/healthz", ANSWERS_HEAD, alive);
  app.get("/healthz/live", ANSWERS_HEAD, alive);

  const ready = readiness(store);
  app.get("/healthz/ready", ANSWERS_HEAD, async (_req, reply) => {
    if (await ready()) return { status: "ready" };
    return reply
      .code(503)
      .header("retry-after", String(RETRY_AFTER_SECONDS))
      .send({ status: "unavailable", reason: "The database cannot be reached." });
  });
}

/**
 * Whether the database answers `select 1` within READINESS_TIMEOUT_MS. Probes share the check in flight: the endpoint
 * needs no authentication, so however many probes arrive, the database sees one query at a time.
 */
function readiness(store: Store): () => Promise<boolean> {
  let ping: Promise<boolean> | undefined;
  return async () => {
    ping ??= store
      .ping()
      .then(
        () => true,
        () => false,
      )
      .finally(() => {
        ping = undefined;
      });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), READINESS_TIMEOUT_MS)));
    try {
      return await Promise.race([ping, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}
