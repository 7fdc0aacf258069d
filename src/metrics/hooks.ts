// What every request adds to the metrics, from one onResponse hook: cheap on the hot path (a map lookup and two
// increments; the label children are bound once per operation and code, not looked up by label hashing each time).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { operationName } from "./operation-names.js";
import { openConnections, requestDuration, requests, tokenResults } from "./instruments.js";

type Child<T extends { labels: (...v: string[]) => unknown }> = ReturnType<T["labels"]>;

const counted = new Map<string, Map<number, Child<typeof requests>>>();
const timed = new Map<string, Child<typeof requestDuration>>();

function requestCounter(operation: string, status: number): Child<typeof requests> {
  let byStatus = counted.get(operation);
  if (!byStatus) counted.set(operation, (byStatus = new Map()));
  let child = byStatus.get(status);
  if (!child)
    byStatus.set(status, (child = requests.labels(operation, `${Math.floor(status / 100)}xx`, String(status))));
  return child;
}

function durationHistogram(operation: string): Child<typeof requestDuration> {
  let child = timed.get(operation);
  if (!child) timed.set(operation, (child = requestDuration.labels(operation)));
  return child;
}

/** Counts and times every request the app answers, and keeps the open-connections gauge. */
export function measureRequests(app: FastifyInstance): void {
  app.addHook("onResponse", (req, reply, done) => {
    const operation = operationName(req);
    requestCounter(operation, reply.statusCode).inc();
    durationHistogram(operation).observe(reply.elapsedTime / 1000);
    done();
  });
  app.server.on("connection", (socket) => {
    openConnections.inc();
    socket.once("close", () => openConnections.dec());
  });
}

/** onResponse of the token endpoint: issued, or refused with the Entra error it answered (identity/errors.ts). */
export function countTokenResult(req: FastifyRequest, reply: FastifyReply, done: () => void): void {
  if (reply.statusCode === 200) tokenResults.labels("issued", "").inc();
  else tokenResults.labels("refused", req.entraError ?? `status/${reply.statusCode}`).inc();
  done();
}
