// Microsoft Graph's error shape: {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}.
import { randomUUID } from "node:crypto";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { answerOutage } from "../http/error-handler.js";
import { StoreUnavailableError } from "../store/unavailable.js";
import { urlPath } from "../http/route.js";

export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const graphBadRequest = (message: string) => new GraphError(400, "Request_BadRequest", message);
export const graphNotFound = (id: string) =>
  new GraphError(
    404,
    "Request_ResourceNotFound",
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );
export const graphDenied = () =>
  new GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");

function sendGraphError(req: FastifyRequest, reply: FastifyReply, status: number, code: string, message: string) {
  const clientRequestId = req.headers["client-request-id"];
  return reply.code(status).send({
    error: {
      code,
      message,
      innerError: {
        date: new Date().toISOString().replace(/\.\d+Z$/, ""),
        "request-id": randomUUID(),
        // Echoed only when it is a plain id: it goes back to the client and into nothing else.
        "client-request-id":
          typeof clientRequestId === "string" && /^[\w-]{1,64}$/.test(clientRequestId) ? clientRequestId : randomUUID(),
      },
    },
  });
}

/** Every failure under /v1.0 leaves in Graph's shape: ours as they are, framework ones (bad JSON, too large) as 4xx. */
export function installGraphErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | GraphError | StoreUnavailableError, req, reply) => {
    if (err instanceof GraphError) return sendGraphError(req, reply, err.status, err.code, err.message);
    if (err instanceof StoreUnavailableError) {
      return answerOutage(req, reply, err, () =>
        sendGraphError(
          req,
          reply,
          503,
          "serviceNotAvailable",
          "The service is temporarily unavailable. Retry the request later.",
        ),
      );
    }
    const status = err.statusCode ?? 500;
    if (status >= 500) throw err; // the server's handler logs it and answers 500
    const message =
      err.code?.startsWith("FST_ERR_CTP") || err instanceof SyntaxError
        ? "Unable to read JSON request payload."
        : err.message;
    return sendGraphError(req, reply, status, "Request_BadRequest", message);
  });
  app.setNotFoundHandler((req, reply) =>
    sendGraphError(
      req,
      reply,
      400,
      "BadRequest",
      `Resource not found for the segment '${urlPath(req.url).split("/").pop()}'.`,
    ),
  );
}
