// GET /metrics, in Prometheus's text format. Only for the administrators (a management token of a principal or user
// of admin.json) or for the bearer the server was given at start (--metrics-token-file), compared in constant time:
// the counts describe the traffic of every vault, which is more than any one vault's reader may see.
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { requireAdministrator } from "../authorization/management.js";
import type { ServerContext } from "../identity/context.js";
import { registry } from "../metrics/instruments.js";
import { errorCode, errorMessage } from "../http/errors.js";

/** The shortest --metrics-token-file content accepted: a scrape token is a password, not a label. */
export const MIN_METRICS_TOKEN_LENGTH = 16;

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

export function metricsRoutes(app: FastifyInstance, ctx: ServerContext, metricsToken: string | undefined): void {
  // Hashes of equal length, so that neither the comparison's time nor a length check says how much of a guess was right.
  const expected = metricsToken === undefined ? undefined : digest(metricsToken);
  const administrator = requireAdministrator(ctx);
  const allowed = async (req: FastifyRequest, reply: FastifyReply) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
    if (expected && bearer !== undefined && timingSafeEqual(digest(bearer), expected)) return;
    await administrator(req, reply);
  };
  app.get("/metrics", { onRequest: allowed }, async (_req, reply) => {
    reply.type(registry.contentType).header("cache-control", "no-store");
    return registry.metrics();
  });
}

/** Reads a --metrics-token-file: its content without the trailing line break, at least MIN_METRICS_TOKEN_LENGTH characters. */
export function readMetricsToken(path: string): string {
  let content: string;
  try {
    content = readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`${path}: cannot read the metrics token file (${String(errorCode(err) ?? errorMessage(err))})`, {
      cause: err,
    });
  }
  const token = content.replace(/\r?\n$/, "");
  if (token.length < MIN_METRICS_TOKEN_LENGTH || /\s/.test(token)) {
    throw new Error(
      `${path}: a metrics token is one line of at least ${MIN_METRICS_TOKEN_LENGTH} characters without spaces`,
    );
  }
  return token;
}
