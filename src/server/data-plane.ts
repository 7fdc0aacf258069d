// The Key Vault data plane's request pipeline: resolve the vault from the host name, authenticate the bearer
// token (or answer with Key Vault's challenge), check the api-version, count the request against the service limits
// (when on), then authorize the route's permission.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { authorizeDataPlane } from "../authorization/authorize.js";
import type { RequiredPermission } from "../http/permissions.js";
import { authenticate } from "../identity/authenticate.js";
import { VAULT_AUDIENCE, type Caller } from "../identity/tokens.js";
import type { VaultScope } from "../objects/scope.js";
import type { ServerContext } from "../identity/context.js";
import { cachedVault } from "../vaults/cache.js";
import { checkApiVersion } from "../http/api-version.js";
import { KeyVaultError, notFound } from "../http/errors.js";
import { requestKind } from "../http/throttling.js";
import { challengeResource, parseVaultHost } from "../http/vault-host.js";
import { queryOf, routeParam } from "../http/route.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The access-policy permission a data-plane route requires. */
    permission?: RequiredPermission;
  }
  interface FastifyRequest {
    scope: VaultScope;
    caller: Caller;
  }
}

/** The challenge's authority: Azure AD's host for *.vault.azure.net, otherwise this server as the client reached it. */
function challengeAuthority(req: FastifyRequest, tenantId: string): string {
  const host = req.hostname.endsWith(".vault.azure.net") ? "login.microsoftonline.com" : req.host;
  return `https://${host}/${tenantId}`;
}

export function dataPlane(ctx: ServerContext, routes: ((app: FastifyInstance, ctx: ServerContext) => Promise<void>)[]) {
  return async (app: FastifyInstance) => {
    app.decorateRequest("scope", null as unknown as VaultScope);
    app.decorateRequest("caller", null as unknown as Caller);
    // Key Vault reads JSON (and, like any ASP.NET service, forms): a body of another type, or one without a
    // Content-Type, is its 415 (error-handler.ts words it). An empty body is no body, whatever its type.
    app.removeContentTypeParser("text/plain");
    app.addContentTypeParser("*", (req, _payload, done) => {
      if (req.headers["content-length"] === "0") return done(null, undefined);
      done(Object.assign(new Error("unsupported media type"), { statusCode: 415 }));
    });

    app.addHook("onRequest", async (req: FastifyRequest, reply: FastifyReply) => {
      const host = parseVaultHost(req.hostname, ctx.hostnames);
      // From a bounded cache that vault writes invalidate; its TTL is short (see vaults/cache.ts) so that nodes
      // sharing one PostgreSQL database see each other's access-policy changes within a second or two. A fresh
      // entry comes as it is, and is not awaited: an await costs a microtask turn on every request.
      const cached = host && cachedVault(ctx.store, host.vault);
      const vault = cached instanceof Promise ? await cached : cached;
      if (!host || !vault) throw notFound("VaultNotFound", `No vault is served at ${req.hostname}.`);
      const result = await authenticate(req, ctx.tokens, VAULT_AUDIENCE);
      if (!("caller" in result)) {
        reply.header(
          "www-authenticate",
          `Bearer authorization="${challengeAuthority(req, ctx.tokens.tenantId)}", resource="${challengeResource(host)}"`,
        );
        throw new KeyVaultError(
          401,
          "Unauthorized",
          "missing" in result ? "AKV10000: Request is missing a Bearer or PoP token." : result.invalid,
        );
      }
      req.caller = result.caller;
      req.scope = {
        store: ctx.store,
        vault,
        vaultUrl: `https://${req.host}`,
        apiVersion: checkApiVersion(queryOf(req)),
      };
      const route = req.routeOptions; // a getter that builds a new object on each read
      const need = route.config.permission;
      if (!need) throw new Error(`route ${route.url} declares no permission`);
      // Throttled and authorized before the body is read, so a refused request costs no parsing (a restore body may be large).
      const { throttle } = ctx;
      if (throttle) {
        throttle.admit(vault.name, requestKind(req.method, need), req.caller.objectId);
        req.scope.throttle = (weight) => throttle.admit(vault.name, "other", req.caller.objectId, weight);
      }
      // Routes on one certificate, key or secret name it :name, so that assignments scoped to it can apply.
      // Access policies decide at once; only role assignments are waited for.
      const authorized = authorizeDataPlane(ctx, vault, req.caller, need, routeParam(req, "name"));
      if (authorized) await authorized;
    });

    for (const register of routes) await register(app, ctx);
  };
}
