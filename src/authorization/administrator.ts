// Management APIs (ARM vaults, resource groups, service principals) are for the server's administrator principals
// only; any principal with a management token may list subscriptions, and sees none unless it administers them.
import type { FastifyReply, FastifyRequest } from "fastify";
import { authenticate, originOf } from "../identity/authenticate.js";
import { MANAGEMENT_AUDIENCE, type Caller } from "../identity/tokens.js";
import { isAdministrator as isAdministratorObject } from "../identity/users.js";
import { KeyVaultError } from "../http/errors.js";
import type { ServerContext } from "../server/context.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the management hooks: who called, and whether it administers this server. */
    managementCaller?: Caller & { isAdministrator: boolean };
  }
}

/** An onRequest hook: authenticates for the management audience (or the server's own origin) and records whether the caller is an administrator. */
export function authenticateManagement(ctx: ServerContext) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    // ARM SDKs pointed at the server's own URL ask for a token for that URL.
    const result = await authenticate(req, ctx.tokens, [MANAGEMENT_AUDIENCE, originOf(req)]);
    if ("missing" in result || "invalid" in result) {
      reply.header(
        "www-authenticate",
        `Bearer authorization_uri="https://login.microsoftonline.com/${ctx.tokens.tenantId}", error="invalid_token", error_description="The access token is missing or invalid."`,
      );
      throw new KeyVaultError(401, "AuthenticationFailed", "missing" in result ? "Authentication failed. The 'Authorization' header is missing." : result.invalid);
    }
    const isAdministrator = await isAdministratorObject(ctx.store, result.caller.objectId);
    req.managementCaller = { ...result.caller, isAdministrator };
  };
}

/** An onRequest hook: authenticates for the management audience, then requires an administrator. */
export function requireAdministrator(ctx: ServerContext) {
  const authenticateHook = authenticateManagement(ctx);
  return async (req: FastifyRequest, reply: FastifyReply) => {
    await authenticateHook(req, reply);
    const caller = req.managementCaller!;
    if (!caller.isAdministrator) {
      throw new KeyVaultError(
        403,
        "AuthorizationFailed",
        `The client '${caller.appId}' with object id '${caller.objectId}' does not have authorization to perform action '${req.method} ${req.routeOptions.url}'.`,
      );
    }
  };
}
