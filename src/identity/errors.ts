// Errors of the identity endpoints, in Entra ID's shape: {"error","error_description":"AADSTS<code>: ...",...}.
import { randomUUID } from "node:crypto";
import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { answerOutage } from "../http/error-handler.js";
import { StoreUnavailableError } from "../store/unavailable.js";
import { UnstorableTextError } from "../store/unstorable-text.js";
import { MalformedEncodingError } from "./form.js";
import { noteEntraError } from "./sign-in-record.js";

export function aadError(reply: FastifyReply, status: number, error: string, code: number, description: string) {
  noteEntraError(reply.request, error, code, description);
  return reply.code(status).send({
    error,
    error_description: `AADSTS${code}: ${description}`,
    error_codes: [code],
    timestamp: new Date()
      .toISOString()
      .replace("T", " ")
      .replace(/\.\d+Z$/, "Z"),
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  });
}

/**
 * What fails before an identity handler runs (an undecodable form or query, a body too large or of another type)
 * is Entra's invalid_request; an unreachable database is Entra's answer to a transient failure of its directory
 * (503, which MSAL retries); anything unexpected is logged and answered as Entra's server_error.
 */
export function installEntraErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | StoreUnavailableError, req, reply) => {
    if (err instanceof StoreUnavailableError) {
      return answerOutage(req, reply, err, () =>
        aadError(reply, 503, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again."),
      );
    }
    const status = err.statusCode ?? 500;
    if (status < 500) {
      const description =
        err instanceof MalformedEncodingError || err instanceof UnstorableTextError
          ? err.message
          : "The request body must contain the following parameter: 'grant_type'.";
      return aadError(reply, status, "invalid_request", 900144, description);
    }
    // Clients of these endpoints read Entra's shape also when something unexpected fails; the log says what.
    req.log.error({ err, method: req.method, url: req.routeOptions.url }, "unexpected error");
    return aadError(
      reply,
      500,
      "server_error",
      50000,
      "There was an error issuing a token or an issue with our sign-in service.",
    );
  });
}
