// Builds the HTTPS application: identity provider, management API and the Key Vault data plane, side by side.
import type { SecureContext } from "node:tls";
import Fastify, { type FastifyInstance } from "fastify";
import type { AuditLog } from "../audit/log.js";
import { auditHooks } from "../audit/hook.js";
import { auditRoutes } from "../audit/routes.js";
import { roleRoutes } from "../authorization/role-routes.js";
import { certificateRoutes } from "../certificates/routes.js";
import { dataPlane } from "./data-plane.js";
import { deadLetterRoutes, eventSubscriptionRoutes } from "../events/routes.js";
import { graphRoutes } from "../graph/routes.js";
import { clientError, installErrorHandling, routingError } from "../http/error-handler.js";
import { parseBackupBody } from "../http/large-bodies.js";
import { servicePrincipalRoutes } from "../graph/admin-routes.js";
import { parseForm } from "../identity/form.js";
import { identityRoutes } from "../identity/routes.js";
import { DeviceCodes } from "../identity/device-codes.js";
import { signInPageRoutes } from "../identity/sign-in-page.js";
import { authorizePageRoutes } from "../identity/authorize-page.js";
import { SignInThrottle } from "../identity/sign-in-throttle.js";
import { VerifiedSecrets } from "../identity/verified-secrets.js";
import { keyRoutes } from "../keys/routes.js";
import { measureRequests } from "../metrics/hooks.js";
import { metricsRoutes } from "./metrics-routes.js";
import { metadataRoutes } from "../resources/metadata.js";
import { accountRoutes, resourceRoutes } from "../resources/routes.js";
import { secretRoutes } from "../secrets/routes.js";
import { vaultRoutes } from "../vaults/routes.js";
import { TIMEOUTS } from "./connection-limits.js";
import type { ServerContext } from "../identity/context.js";
import { healthRoutes } from "./health.js";
import { allowUiOrigin } from "./cors.js";
import { uiRoutes } from "./ui-routes.js";
import { keyPoolState } from "../metrics/instruments.js";
import { nameOperations } from "../metrics/operation-names.js";
import { rsaKeyPool } from "../crypto/key-pool.js";
import type { LineSink } from "./safe-output.js";
import { errorMessage } from "../http/errors.js";
import { answerWhenDurable } from "../http/durable-answers.js";

export interface TlsMaterial {
  key: string;
  cert: string;
  SNICallback?: (servername: string, done: (err: Error | null, ctx?: SecureContext) => void) => void;
}

export interface AppOptions {
  logLevel?: string;
  /** Where log lines go: written so that a failing output never stops the server (safe-output.ts). */
  stream: LineSink;
  /** Connections held at once; past it new ones are closed on accept (see connection-limits.ts). */
  maxConnections: number;
  /** Runs the scheduled work once, now (after a test-clock shift). */
  sweepNow: () => Promise<unknown>;
  /** Where every call is recorded (the same log as ctx.audit, with its writing side). */
  audit?: AuditLog;
  /** The CA certificates a webhook's certificate may chain to (the event subscriptions' validation handshake). */
  webhookCa: string;
  /** /metrics and the per-request measuring (off: KLUIS_METRICS=off, for the benchmark's comparison); its scrape bearer. */
  metrics: { token?: string } | false;
}

export async function buildApp(ctx: ServerContext, tls: TlsMaterial, opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    https: {
      ...tls,
      handshakeTimeout: TIMEOUTS.handshake,
      headersTimeout: TIMEOUTS.headers,
      requestTimeout: TIMEOUTS.request,
      connectionsCheckingInterval: TIMEOUTS.check,
    },
    requestTimeout: TIMEOUTS.request,
    keepAliveTimeout: TIMEOUTS.keepAlive,
    connectionTimeout: TIMEOUTS.inactivity,
    logger: { level: opts.logLevel ?? "warn", stream: opts.stream, redact: ["req.headers.authorization"] },
    // Object names may be 127 characters long (Fastify would answer 414 past 100).
    // ARM paths are case-insensitive (az sends both /resourcegroups/ and /resourceGroups/); parameters keep their case.
    // `az cloud register --endpoint-resource-manager https://HOST/` asks for //metadata/endpoints.
    routerOptions: {
      ignoreTrailingSlash: true,
      ignoreDuplicateSlashes: true,
      maxParamLength: 256,
      caseSensitive: false,
    },
    bodyLimit: 4 * 1024 * 1024,
    // No HEAD twin for every GET route: no Key Vault, ARM or Graph client sends HEAD but to the routes that declare
    // it (ARM's CheckExistence), and each twin costs start-up time. Pages and health probes keep theirs (ANSWERS_HEAD).
    exposeHeadRoutes: false,
    forceCloseConnections: true,
    frameworkErrors: routingError,
    clientErrorHandler: clientError,
  });
  app.server.maxConnections = opts.maxConnections;
  // First, so that a preflight is answered before anything else looks at it (the not-found hook of
  // installErrorHandling would answer it 404: no route takes OPTIONS), and refusals carry the header too.
  allowUiOrigin(app, ctx.hostnames);
  installErrorHandling(app);
  answerWhenDurable(app, ctx.store);
  // Before any route: every route gets its operation name, which metrics count by.
  nameOperations(app);
  keyPoolState.read = () => rsaKeyPool;
  if (opts.metrics) {
    measureRequests(app);
    metricsRoutes(app, ctx, opts.metrics.token);
  }

  // Clients send `Content-Type: application/json` with an empty body (the SDKs' first, unauthenticated try).
  // Read as bytes, so that a restore's blob is decoded from them without a string copy (see large-bodies.ts).
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (req, body, done) => {
    const bytes = body as Buffer;
    if (bytes.length === 0) return done(null, undefined);
    if (!req.routeOptions.config.backupBody) return parseJson(req, bytes.toString("utf8"), done);
    try {
      done(null, parseBackupBody(bytes));
    } catch (err) {
      done(Object.assign(err instanceof Error ? err : new Error(errorMessage(err)), { statusCode: 400 })); // malformed JSON
    }
  });
  // Only the identity endpoints take forms; they answer a malformed one in Entra's shape (identity/errors.ts).
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) => {
    try {
      done(null, parseForm(body as string, "request body"));
    } catch (err) {
      done(err instanceof Error ? err : new Error(errorMessage(err)));
    }
  });

  const { audit } = opts;
  if (audit)
    auditHooks(app, ctx, audit, (err) =>
      app.log.error({ reason: errorMessage(err) }, "audit entry lost: it could not be built"),
    );
  healthRoutes(app, ctx.store);
  // The token endpoint and the sign-in page check passwords under one throttle and share the pending device codes.
  const signIn = { verified: new VerifiedSecrets(), throttle: new SignInThrottle() };
  const deviceCodes = new DeviceCodes();
  await app.register(async (scoped) => identityRoutes(scoped, ctx, signIn, deviceCodes));
  await app.register(async (scoped) => signInPageRoutes(scoped, ctx.store, signIn, deviceCodes));
  await app.register(async (scoped) => authorizePageRoutes(scoped, ctx, signIn));
  await app.register(metadataRoutes);
  await app.register(async (scoped) => accountRoutes(scoped, ctx));
  await app.register(async (scoped) => resourceRoutes(scoped, ctx));
  await app.register(async (scoped) => vaultRoutes(scoped, ctx));
  await app.register(async (scoped) => servicePrincipalRoutes(scoped, ctx));
  await app.register(async (scoped) => auditRoutes(scoped, ctx, opts.sweepNow));
  await app.register(async (scoped) => graphRoutes(scoped, ctx), { prefix: "/v1.0" });
  await app.register(async (scoped) => roleRoutes(scoped, ctx));
  await app.register(async (scoped) => eventSubscriptionRoutes(scoped, ctx, opts.webhookCa));
  await app.register(async (scoped) => deadLetterRoutes(scoped, ctx));
  await app.register(async (scoped) => uiRoutes(scoped, ctx.hostnames));
  await app.register(dataPlane(ctx, [certificateRoutes, secretRoutes, keyRoutes]));
  return app;
}
