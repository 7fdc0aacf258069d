// The identity provider endpoints MSAL and azure-identity call: instance discovery, OpenID configuration,
// JWKS and the OAuth2 client-credentials token endpoint (v2 and v1 forms). Errors use Azure AD's shape.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isServerHost, vaultDomains } from "../http/vault-host.js";
import type { ServerContext } from "../server/context.js";
import { originOf } from "./authenticate.js";
import { aadError, installEntraErrors } from "./errors.js";
import { decodePercent, parseForm } from "./form.js";
import { authenticateClient, type SignIn } from "./principals.js";
import { SignInThrottle } from "./sign-in-throttle.js";
import { audienceFor, TOKEN_LIFETIME_SECONDS, type TokenService } from "./tokens.js";
import { VerifiedSecrets } from "./verified-secrets.js";

/** Tenant names a client may put in the authority path: the server's tenant and Azure's well-known aliases. */
function knownTenant(tokens: TokenService, tenant: string): boolean {
  return [tokens.tenantId, "adfs", "common", "organizations", "consumers"].includes(tenant.toLowerCase());
}


/** The parameters of a token request: its string fields only (a JSON body may hold anything else). */
function formFields(body: unknown): Record<string, string | undefined> {
  if (body === null || typeof body !== "object") return {};
  return Object.fromEntries(Object.entries(body).filter(([, v]) => typeof v === "string"));
}

export async function identityRoutes(app: FastifyInstance, ctx: ServerContext) {
  const { store, tokens } = ctx;
  const signIn: SignIn = { verified: new VerifiedSecrets(), throttle: new SignInThrottle() };
  installEntraErrors(app);
  // Queries too are decoded strictly here (Fastify's parser passes a malformed `%` through).
  app.addHook("onRequest", async (req) => {
    const q = req.url.indexOf("?");
    if (q >= 0) parseForm(req.url.slice(q + 1), "query");
  });

  // MSAL asks login.microsoftonline.com whether an authority is valid and where its metadata lives.
  app.get("/common/discovery/instance", async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const endpoint = q.authorization_endpoint ?? "https://login.microsoftonline.com/common/oauth2/authorize";
    const authorize = typeof endpoint === "string" && URL.canParse(endpoint) ? new URL(endpoint) : undefined;
    if (authorize?.protocol !== "https:") return aadError(reply, 400, "invalid_instance", 50049, "Unknown or invalid instance.");
    const tenant = authorize.pathname.split("/")[1] || "common";
    const authorityHost = authorize.host;
    return {
      tenant_discovery_endpoint: `https://${authorityHost}/${tenant}/v2.0/.well-known/openid-configuration`,
      "api-version": typeof q["api-version"] === "string" ? q["api-version"] : "1.1",
      metadata: [
        {
          preferred_network: "login.microsoftonline.com",
          preferred_cache: "login.windows.net",
          aliases: ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"],
        },
        ...(authorityHost === "login.microsoftonline.com"
          ? []
          : [{ preferred_network: authorityHost, preferred_cache: authorityHost, aliases: [authorityHost] }]),
      ],
    };
  });

  const openIdConfiguration = (req: FastifyRequest, tenant: string, v2: boolean) => {
    const base = `${originOf(req)}/${tenant}`;
    const suffix = v2 ? "/v2.0" : "";
    return {
      issuer: v2 ? `${base}/v2.0` : base,
      authorization_endpoint: `${base}/oauth2${suffix}/authorize`,
      token_endpoint: `${base}/oauth2${suffix}/token`,
      jwks_uri: `${base}/discovery${suffix}/keys`,
      token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
      response_types_supported: ["code", "id_token", "token"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      scopes_supported: ["openid"],
      tenant_region_scope: "EU",
      cloud_instance_name: "microsoftonline.com",
    };
  };

  const tenantParam = (req: FastifyRequest) => (req.params as { tenant: string }).tenant;

  for (const v2 of [true, false]) {
    app.get(`/:tenant${v2 ? "/v2.0" : ""}/.well-known/openid-configuration`, async (req, reply) => {
      const tenant = tenantParam(req);
      if (!knownTenant(tokens, tenant)) {
        return aadError(reply, 400, "invalid_tenant", 90002, `Tenant '${tenant}' not found.`);
      }
      return openIdConfiguration(req, tenant, v2);
    });
    app.get(`/:tenant/discovery${v2 ? "/v2.0" : ""}/keys`, async () => tokens.jwks());
    app.post(`/:tenant/oauth2${v2 ? "/v2.0" : ""}/token`, (req, reply) => issueToken(req, reply));
  }

  async function issueToken(req: FastifyRequest, reply: FastifyReply) {
    const tenant = tenantParam(req);
    const form = formFields(req.body);
    if (!knownTenant(tokens, tenant)) return aadError(reply, 400, "invalid_request", 90002, `Tenant '${tenant}' not found.`);
    if (form.grant_type !== "client_credentials") {
      return aadError(reply, 400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type; only client_credentials is supported.");
    }
    const [basicId, basicSecret] = basicCredentials(req.headers.authorization);
    const clientId = form.client_id ?? basicId;
    const clientSecret = form.client_secret ?? basicSecret;
    if (!clientId) return aadError(reply, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.");
    if (!clientSecret) {
      return aadError(reply, 401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }
    // MSAL sends a v2 `scope` even to the v1 path the ADFS metadata names; v1 clients send `resource`.
    const requested = form.scope ?? form.resource;
    // The server's own URL (a registered cloud's Graph and ARM resource) only where it is reached by its own name.
    const ownOrigin = isServerHost(req.hostname, ctx.hostnames) ? originOf(req) : undefined;
    const audience = requested && audienceFor(requested, vaultDomains(ctx.hostnames), ownOrigin);
    if (!audience) {
      return aadError(reply, 400, "invalid_resource", 500011, `The resource principal named ${requested ?? "(none)"} was not found in the tenant.`);
    }
    // Throttled by the connection's address; clients of the CONNECT proxy (loopback only) all come from 127.0.0.1.
    const principal = await authenticateClient(store, signIn, clientId, clientSecret, req.socket.remoteAddress ?? "");
    if (principal === "unknown-client") {
      return aadError(reply, 400, "unauthorized_client", 700016, `Application with identifier '${clientId}' was not found in the directory.`);
    }
    if (principal === "invalid-secret") {
      return aadError(reply, 401, "invalid_client", 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
    }
    // Entra answers a throttled client-credentials request with 429 and Retry-After.
    if ("reason" in principal) {
      reply.header("retry-after", String(principal.retryAfterSeconds));
      return principal.reason === "address-locked"
        ? aadError(reply, 429, "temporarily_unavailable", 50053, `Too many sign-ins with a wrong client secret came from this address; retry after ${principal.retryAfterSeconds} seconds.`)
        : aadError(reply, 429, "temporarily_unavailable", 50196, `Too many sign-ins for application '${clientId}' or from this address are being checked at once; retry after ${principal.retryAfterSeconds} seconds.`);
    }
    const accessToken = await tokens.issue(principal, audience);
    const now = Math.floor(Date.now() / 1000);
    reply.header("cache-control", "no-store, no-cache").header("pragma", "no-cache");
    return form.scope !== undefined
      ? { token_type: "Bearer", expires_in: TOKEN_LIFETIME_SECONDS, ext_expires_in: TOKEN_LIFETIME_SECONDS, access_token: accessToken }
      : {
          token_type: "Bearer",
          expires_in: String(TOKEN_LIFETIME_SECONDS),
          ext_expires_in: String(TOKEN_LIFETIME_SECONDS),
          expires_on: String(now + TOKEN_LIFETIME_SECONDS),
          not_before: String(now),
          resource: form.resource,
          access_token: accessToken,
        };
  }
}

function basicCredentials(header: string | undefined): [string?, string?] {
  if (!header?.startsWith("Basic ")) return [];
  const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return [];
  return [decodePercent(decoded.slice(0, colon), "The Basic client id"), decodePercent(decoded.slice(colon + 1), "The Basic client secret")];
}
