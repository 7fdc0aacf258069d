// CORS on the vaults' data planes, for Kluis's own web UI only: the UI is served from the server's host
// (localhost, 127.0.0.1, ::1 or a --hostname) and calls each vault at NAME.<host> on the same port, which is another
// origin. Any other origin gets no CORS headers, so a browser keeps other sites' pages from reading the answers.
// Bearer tokens, never cookies: credentials are not allowed.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { isServerHost, parseVaultHost } from "../http/vault-host.js";

const ALLOWED_METHODS = "GET, PUT, POST, PATCH, DELETE";
const ALLOWED_HEADERS = "authorization, content-type";

/** The request's Origin when it is the UI's: https, a server host name, and the port this request came in on. */
export function uiOrigin(req: FastifyRequest, hostnames: readonly string[]): string | undefined {
  const origin = req.headers.origin;
  if (!origin || !parseVaultHost(req.hostname, hostnames)?.domain) return undefined; // no vault of its own host
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return undefined;
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const samePort = (url.port || "443") === String(req.port ?? 443); // URL leaves https's default port out
  return url.protocol === "https:" && samePort && url.origin === origin && isServerHost(host, hostnames)
    ? origin
    : undefined;
}

export function allowUiOrigin(app: FastifyInstance, hostnames: readonly string[]) {
  // Synchronous (a callback hook): it runs on every request, and an async hook costs a promise and a microtask turn.
  app.addHook("onRequest", (req, reply, done) => {
    const origin = uiOrigin(req, hostnames);
    if (!origin) return done();
    reply.header("access-control-allow-origin", origin).header("vary", "Origin");
    if (req.method === "OPTIONS" && req.headers["access-control-request-method"]) {
      // Answered: the chain stops here (done is not called).
      return void reply
        .code(204)
        .headers({
          "access-control-allow-methods": ALLOWED_METHODS,
          "access-control-allow-headers": ALLOWED_HEADERS,
          "access-control-max-age": "600",
        })
        .send();
    }
    done();
  });
}
