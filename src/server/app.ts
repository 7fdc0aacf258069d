// Builds the HTTPS application: identity provider, management API and the Key Vault data plane, side by side.
import type { SecureContext } from "node:tls";
import Fastify, { type FastifyInstance } from "fastify";
import { roleRoutes } from "../authorization/role-routes.js";
import { certificateRoutes } from "../certificates/routes.js";
import { dataPlane } from "../http/data-plane.js";
import { clientError, installErrorHandling, routingError } from "../http/error-handler.js";
import { servicePrincipalRoutes } from "../identity/admin-routes.js";
import { identityRoutes } from "../identity/routes.js";
import { keyRoutes } from "../keys/routes.js";
import { secretRoutes } from "../secrets/routes.js";
import { vaultRoutes } from "../vaults/routes.js";
import type { ServerContext } from "./context.js";

export interface TlsMaterial {
  key: string;
  cert: string;
  SNICallback?: (servername: string, done: (err: Error | null, ctx?: SecureContext) => void) => void;
}

export async function buildApp(ctx: ServerContext, tls: TlsMaterial, logLevel = "warn"): Promise<FastifyInstance> {
  const app = Fastify({
    https: tls,
    logger: { level: logLevel, redact: ["req.headers.authorization"] },
    // Object names may be 127 characters long (Fastify would answer 414 past 100).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
    bodyLimit: 4 * 1024 * 1024,
    forceCloseConnections: true,
    frameworkErrors: routingError,
    clientErrorHandler: clientError,
  });
  installErrorHandling(app);

  // Clients send `Content-Type: application/json` with an empty body (the SDKs' first, unauthenticated try).
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (req, body, done) =>
    body === "" ? done(null, undefined) : parseJson(req, body as string, done),
  );
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  app.get("/healthz", async () => ({ status: "ok" }));
  await app.register(async (scoped) => identityRoutes(scoped, ctx));
  await app.register(async (scoped) => vaultRoutes(scoped, ctx));
  await app.register(async (scoped) => servicePrincipalRoutes(scoped, ctx));
  await app.register(async (scoped) => roleRoutes(scoped, ctx));
  await app.register(dataPlane(ctx, [certificateRoutes, secretRoutes, keyRoutes]));
  return app;
}
