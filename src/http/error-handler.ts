// Every failure leaves as Key Vault's error JSON: our own errors as they are, framework errors (bad JSON,
// body too large) with their status and a BadParameter-style code, an unreachable database as 503 with Retry-After,
// anything unexpected as a bare 500.
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { storeUnavailable } from "../metrics/instruments.js";
import { StoreUnavailableError } from "../store/unavailable.js";
import { KeyVaultError, RetryLaterError } from "./errors.js";

/** What a client is told to wait before retrying while the database is unreachable; the SDKs' retry policies honour it. */
export const RETRY_AFTER_SECONDS = 5;

/** ARM's error shape is Key Vault's: both APIs answer an outage with this body. */
const serviceUnavailable = {
  error: {
    code: "ServiceUnavailable",
    message: "The service is temporarily unavailable: its database cannot be reached. Retry the request later.",
  },
};

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | KeyVaultError | StoreUnavailableError, req, reply) => {
    if (err instanceof RetryLaterError) reply.header("retry-after", String(err.retryAfter));
    if (err instanceof KeyVaultError) return reply.code(err.status).send(err.toBody());
    if (err instanceof StoreUnavailableError)
      return answerOutage(req, reply, err, () => reply.code(503).send(serviceUnavailable));
    const status = err.statusCode ?? 500;
    if (status < 500) {
      const code = status === 413 ? "RequestTooLarge" : status === 415 ? "UnsupportedMediaType" : "BadParameter";
      const message =
        status === 415
          ? unsupportedMediaType(req.url, req.headers["content-type"])
          : err.code?.startsWith("FST_ERR_CTP") || err instanceof SyntaxError
            ? "The request body is not valid JSON."
            : err.message;
      return reply.code(status).send({ error: { code, message } });
    }
    // Log the failure, never the request body: it may hold secret values.
    req.log.error({ err, method: req.method, url: req.routeOptions.url }, "unexpected error");
    return reply
      .code(500)
      .send({ error: { code: "InternalServerError", message: "The server encountered an unexpected error." } });
  });

  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .send({ error: { code: "NotFound", message: `No operation matches ${req.method} ${req.url.split("?")[0]}.` } }),
  );
  // A request no route serves is answered by its not-found handler (this one, or a plugin's: Graph's) before its body
  // is read: otherwise a body of a type no parser takes, or JSON that is refused, would be answered 415 or 400 first.
  // Synchronous (a callback hook): an async one costs every request a promise and a microtask turn.
  app.addHook("onRequest", (req, reply, done) => {
    if (req.is404) return void req.routeOptions.handler.call(app, req, reply); // answered: the chain stops here
    done();
  });
}

/** Key Vault's words for a body it cannot read (its ASP.NET front end's), or ARM's; the media type without parameters. */
function unsupportedMediaType(url: string, contentType: string | undefined): string {
  const mediaType = contentType?.split(";")[0]!.trim();
  if (/^\/(subscriptions|providers)\//i.test(url))
    return `The content media type '${mediaType || "<null>"}' is not supported. Only 'application/json' is supported.`;
  return mediaType
    ? `The request entity's media type '${mediaType}' is not supported for this resource.`
    : "The request contains an entity body but no Content-Type header. The inferred media type 'application/octet-stream' is not supported for this resource.";
}

/** How often an outage is logged at most: every request fails while it lasts, and one line says it all. */
const OUTAGE_LOG_INTERVAL_MS = 10_000;
let lastOutageLog = 0;

/** Answers an outage with `answer` (503) and Retry-After, logging it at most once per interval. */
export function answerOutage(
  req: FastifyRequest,
  reply: FastifyReply,
  err: StoreUnavailableError,
  answer: () => FastifyReply,
): FastifyReply {
  if (Date.now() - lastOutageLog >= OUTAGE_LOG_INTERVAL_MS) {
    lastOutageLog = Date.now();
    req.log.warn({ reason: err.message }, "database unreachable: answering 503 until it is back");
  }
  storeUnavailable.inc();
  reply.header("retry-after", String(RETRY_AFTER_SECONDS));
  return answer();
}

/** Errors Fastify raises while routing, before any handler (an undecodable URL, a path segment over the limit). */
export function routingError(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const message =
    err.code === "FST_ERR_MAX_PARAM_LENGTH"
      ? "The request URI contains a name or version that is too long."
      : "The request URI is not valid.";
  void reply.code(400).send({ error: { code: "BadParameter", message } });
}

/**
 * Requests Node's HTTP parser refuses before any route (headers over its 16 KB limit, malformed HTTP, a timeout):
 * answered in Key Vault's shape too where the request is known to be no HEAD, then the connection is closed, as
 * Fastify's own handler does. An answer to HEAD has no body (a client reads one as data after the answer), and the
 * method is known only when the packet the parser failed on begins with the request line: headers past 16 KB span
 * several TLS records, so their 431 goes without one.
 */
export function clientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const [status, code, message] =
    err.code === "HPE_HEADER_OVERFLOW"
      ? [431, "RequestHeaderFieldsTooLarge", "The request headers are too large."]
      : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "RequestTimeout", "The request was not received in time."]
        : [400, "BadRequest", "The request is not valid HTTP."];
  const packet = (err as { rawPacket?: unknown }).rawPacket; // what the parser failed on (Node sets it)
  const method = Buffer.isBuffer(packet)
    ? REQUEST_LINE.exec(packet.subarray(0, 16).toString("latin1"))?.[1]
    : undefined;
  const body = method && method !== "HEAD" ? JSON.stringify({ error: { code, message } }) : "";
  const type = body ? "Content-Type: application/json; charset=utf-8\r\n" : "";
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${type}Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/** The method a request line begins with. */
const REQUEST_LINE = /^([A-Z]{1,10}) /;
