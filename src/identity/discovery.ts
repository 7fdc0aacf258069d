// The discovery endpoints MSAL and azure-identity call before a sign-in: instance discovery, the OpenID configuration
// (v2 and v1 forms), the signing keys (JWKS) and user realm discovery.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { pathParam, queryOf } from "../http/route.js";
import { originOf } from "./authenticate.js";
import type { ServerContext } from "./context.js";
import { aadError } from "./errors.js";
import { knownTenant } from "./requests.js";
import { DEVICE_CODE_GRANT } from "./token-refusals.js";
import { DEFAULT_DOMAIN } from "./users.js";

export function discoveryRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { tokens } = ctx;
  // MSAL asks login.microsoftonline.com whether an authority is valid and where its metadata lives.
  app.get("/common/discovery/instance", async (req, reply) => {
    const q = queryOf(req);
    const endpoint = q.authorization_endpoint ?? "https://login.microsoftonline.com/common/oauth2/authorize";
    const authorize = typeof endpoint === "string" && URL.canParse(endpoint) ? new URL(endpoint) : undefined;
    if (authorize?.protocol !== "https:")
      return aadError(reply, 400, "invalid_instance", 50049, "Unknown or invalid instance.");
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
      device_authorization_endpoint: `${base}/oauth2${suffix}/devicecode`,
      jwks_uri: `${base}/discovery${suffix}/keys`,
      token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
      grant_types_supported: [
        "authorization_code",
        "client_credentials",
        "password",
        "refresh_token",
        DEVICE_CODE_GRANT,
      ],
      response_types_supported: ["code"],
      response_modes_supported: ["query", "fragment", "form_post"],
      code_challenge_methods_supported: ["S256"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      scopes_supported: ["openid"],
      tenant_region_scope: "EU",
      cloud_instance_name: "microsoftonline.com",
    };
  };

  for (const v2 of [true, false]) {
    app.get(`/:tenant${v2 ? "/v2.0" : ""}/.well-known/openid-configuration`, async (req, reply) => {
      const tenant = pathParam(req, "tenant");
      if (!knownTenant(tokens, tenant)) {
        return aadError(reply, 400, "invalid_tenant", 90002, `Tenant '${tenant}' not found.`);
      }
      return openIdConfiguration(req, tenant, v2);
    });
    app.get(`/:tenant/discovery${v2 ? "/v2.0" : ""}/keys`, async () => tokens.jwks());
  }

  // MSAL asks, before a password sign-in, whether the user's domain is federated: every Kluis user is "Managed"
  // (the answer is the same for names that do not exist).
  app.get("/common/userrealm/:user", async () => ({
    ver: "1.0",
    account_type: "Managed",
    domain_name: DEFAULT_DOMAIN,
    cloud_instance_name: "microsoftonline.com",
    cloud_audience_urn: "urn:federation:MicrosoftOnline",
  }));
}
