// Management APIs (ARM vaults, service principals) are for the server's administrator principals only.
import type { FastifyReply, FastifyRequest } from "fastify";
import { authenticate } from "../identity/authenticate.js";
import { MANAGEMENT_AUDIENCE } from "../identity/tokens.js";
import { KeyVaultError } from "../http/errors.js";
import type { ServerContext } from "../server/context.js";

/** An onRequest hook: authenticates for the management audience, then requires an administrator. */
export function requireAdministrator(ctx: ServerContext) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const result = await authenticate(req, ctx.tokens, MANAGEMENT_AUDIENCE);
    if ("missing" in result || "invalid" in result) {
      reply.header(
        "www-authenticate",
        `Bearer authorization_uri="https://login.microsoftonline.com/${ctx.tokens.tenantId}", error="invalid_token", error_description="The access token is missing or invalid."`,
      );
      throw new KeyVaultError(401, "AuthenticationFailed", "missing" in result ? "Authentication failed. The 'Authorization' header is missing." : result.invalid);
    }
    const principal = await ctx.store.getPrincipalByAppId(result.caller.appId);
    if (!principal?.isAdmin) {
      throw new KeyVaultError(
        403,
        "AuthorizationFailed",
        `The client '${result.caller.appId}' with object id '${result.caller.objectId}' does not have authorization to perform action '${req.method} ${req.routeOptions.url}'.`,
      );
    }
  };
}
