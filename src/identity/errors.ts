// Errors of the identity endpoints, in Entra ID's shape: {"error","error_description":"AADSTS<code>: ...",...}.
import { randomUUID } from "node:crypto";
import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { answerOutage } from "../http/error-handler.js";
import { StoreUnavailableError } from "../store/unavailable.js";
import { MalformedEncodingError } from "./form.js";

export function aadError(reply: FastifyReply, status: number, error: string, code: number, description: string) {
  return reply.code(status).send({
    error,
    error_description: `AADSTS${code}: ${description}`,
    error_codes: [code],
    timestamp: new Date().toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z"),
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  });
}

/**
 * What fails before an identity handler runs (an undecodable form or query, a body too large or of another type)
 * is Entra's invalid_request; an unreachable database is Entra's answer to a transient failure of its directory
 * (503, which MSAL retries); server errors go on to the server's handler, which logs them.
 */
export function installEntraErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | StoreUnavailableError, req, reply) => {
    if (err instanceof StoreUnavailableError) {
      return answerOutage(req, reply, err, () => aadError(reply, 503, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again."));
    }
    const status = err.statusCode ?? 500;
    if (status >= 500) throw err;
    const description = err instanceof MalformedEncodingError ? err.message : "The request could not be read.";
    return aadError(reply, status, "invalid_request", 900144, description);
  });
}
