// What the identity endpoints (the token endpoint, token-endpoint.ts; the authorization endpoint, authorize-page.ts) read
// from a request alike: whether its tenant is this server's, whether its client is a public one, which resource it
// asks a token for.
import type { FastifyRequest } from "fastify";
import { isGuid } from "../http/guid.js";
import { isServerHost, vaultDomains } from "../http/vault-host.js";
import { originOf } from "./authenticate.js";
import type { ServerContext } from "./context.js";
import { audienceFor, type TokenService } from "./tokens.js";
import { DEFAULT_DOMAIN } from "./users.js";

/** Tenant names a client may put in the authority path: the server's tenant, its domain and Azure's well-known aliases. */
export function knownTenant(tokens: TokenService, tenant: string): boolean {
  return [tokens.tenantId, DEFAULT_DOMAIN, "adfs", "common", "organizations", "consumers"].includes(
    tenant.toLowerCase(),
  );
}

/** The resource a request names (v2 `scope`, v1 `resource`) as a token audience, or undefined when unknown. */
export function requestedAudience(
  req: FastifyRequest,
  hostnames: readonly string[],
  form: Record<string, string | undefined>,
): string | undefined {
  // MSAL sends a v2 `scope` even to the v1 path the ADFS metadata names; v1 clients send `resource`.
  const requested = form.scope ?? form.resource;
  // The server's own URL (a registered cloud's Graph and ARM resource) only where it is reached by its own name.
  const ownOrigin = isServerHost(req.hostname, hostnames) ? originOf(req) : undefined;
  return requested ? audienceFor(requested, vaultDomains(hostnames), ownOrigin) : undefined;
}

/**
 * Why a client id is not a public client's (az's is 04b07795-8ddb-461a-bbee-02f9e1bf7b46, the web UI's is
 * WEB_UI_CLIENT_ID): it is no GUID, as Entra's application ids are, or it is one of Kluis's applications, which are
 * confidential clients and must sign in with their secret. Undefined: it is a public client.
 */
export async function unknownPublicClient(
  store: ServerContext["store"],
  clientId: string,
): Promise<"unknown" | "confidential" | undefined> {
  if (!isGuid(clientId)) return "unknown";
  return (await store.principals.getByAppId(clientId)) ? "confidential" : undefined;
}
