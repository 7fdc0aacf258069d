// The identity provider endpoints MSAL and azure-identity call: instance discovery, OpenID configuration, JWKS, user
// realm discovery, the device authorization endpoint and the OAuth2 token endpoint (v2 and v1 forms) with its grants:
// client credentials (applications), password, device code, authorization code (with PKCE; the authorization endpoint
// is authorize-page.ts) and refresh token (users, for public clients such as az and the web UI). Errors use Azure AD's shape.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isServerHost } from "../http/vault-host.js";
import { countTokenResult } from "../metrics/hooks.js";
import type { ServerContext } from "./context.js";
import { originOf } from "./authenticate.js";
import { redeemAuthorizationCode } from "./authorization-codes.js";
import { aadError, installEntraErrors } from "./errors.js";
import { decodePercent, parseForm } from "./form.js";
import { DEVICE_CODE_LIFETIME_SECONDS, DEVICE_CODE_POLL_INTERVAL_SECONDS, type DeviceCodes } from "./device-codes.js";
import { authenticateClient, MAX_SECRET_LENGTH, type SignIn } from "./principals.js";
import type { Refusal } from "./sign-in-throttle.js";
import { knownTenant, requestedAudience, unknownPublicClient } from "./requests.js";
import { TOKEN_LIFETIME_SECONDS } from "./tokens.js";
import { authenticateUser, DEFAULT_DOMAIN } from "./users.js";
import { pathParam, queryOf } from "../http/route.js";

const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/** The parameters of a token request: its string fields only (a JSON body may hold anything else). */
function formFields(body: unknown): Record<string, string | undefined> {
  if (body === null || typeof body !== "object") return {};
  return Object.fromEntries(Object.entries(body).filter(([, v]) => typeof v === "string"));
}

export async function identityRoutes(
  app: FastifyInstance,
  ctx: ServerContext,
  signIn: SignIn,
  deviceCodes: DeviceCodes,
) {
  const { store, tokens } = ctx;
  installEntraErrors(app);
  // Queries too are decoded strictly here (Fastify's parser passes a malformed `%` through).
  app.addHook("onRequest", async (req) => {
    const q = req.url.indexOf("?");
    if (q >= 0) parseForm(req.url.slice(q + 1), "query");
  });

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

  const tenantParam = (req: FastifyRequest) => pathParam(req, "tenant");

  for (const v2 of [true, false]) {
    app.get(`/:tenant${v2 ? "/v2.0" : ""}/.well-known/openid-configuration`, async (req, reply) => {
      const tenant = tenantParam(req);
      if (!knownTenant(tokens, tenant)) {
        return aadError(reply, 400, "invalid_tenant", 90002, `Tenant '${tenant}' not found.`);
      }
      return openIdConfiguration(req, tenant, v2);
    });
    app.get(`/:tenant/discovery${v2 ? "/v2.0" : ""}/keys`, async () => tokens.jwks());
    app.post(`/:tenant/oauth2${v2 ? "/v2.0" : ""}/token`, { onResponse: countTokenResult }, (req, reply) =>
      issueToken(req, reply),
    );
    app.post(`/:tenant/oauth2${v2 ? "/v2.0" : ""}/devicecode`, (req, reply) => startDeviceFlow(req, reply));
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

  /**
   * The sign-in page is on the server itself: at the name the client reached it by when that is one of the server's
   * own, else (login.microsoftonline.com through the proxy, which a browser may not use) at its first name and port.
   */
  function signInPageOrigin(req: FastifyRequest): string {
    if (isServerHost(req.hostname, ctx.hostnames)) return originOf(req);
    const port = req.socket.localPort;
    return `https://${ctx.hostnames[0] ?? "localhost"}${port === 443 || port === undefined ? "" : `:${port}`}`;
  }

  const unknownResource = (reply: FastifyReply, form: Record<string, string | undefined>) =>
    aadError(
      reply,
      400,
      "invalid_resource",
      500011,
      `The resource principal named ${form.scope ?? form.resource ?? "(none)"} was not found in the tenant.`,
    );

  /** The client of a user flow: any public client, never one of Kluis's applications. Undefined: it may. */
  async function refusedPublicClient(reply: FastifyReply, clientId: string | undefined) {
    if (!clientId)
      return aadError(
        reply,
        400,
        "invalid_request",
        900144,
        "The request body must contain the following parameter: 'client_id'.",
      );
    const unknown = await unknownPublicClient(store, clientId);
    if (unknown === "unknown")
      return aadError(
        reply,
        400,
        "unauthorized_client",
        700016,
        `Application with identifier '${clientId.slice(0, 64)}' was not found in the directory.`,
      );
    if (unknown === "confidential")
      return aadError(
        reply,
        401,
        "invalid_client",
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    return undefined;
  }

  /** Entra answers a throttled sign-in with 429 and Retry-After. */
  function throttled(reply: FastifyReply, refusal: Refusal, who: string) {
    reply.header("retry-after", String(refusal.retryAfterSeconds));
    return refusal.reason === "address-locked"
      ? aadError(
          reply,
          429,
          "temporarily_unavailable",
          50053,
          `Too many sign-ins with a wrong password or client secret came from this address; retry after ${refusal.retryAfterSeconds} seconds.`,
        )
      : aadError(
          reply,
          429,
          "temporarily_unavailable",
          50196,
          `Too many sign-ins for ${who} or from this address are being checked at once; retry after ${refusal.retryAfterSeconds} seconds.`,
        );
  }

  async function startDeviceFlow(req: FastifyRequest, reply: FastifyReply) {
    const tenant = tenantParam(req);
    const form = formFields(req.body);
    if (!knownTenant(tokens, tenant))
      return aadError(reply, 400, "invalid_request", 90002, `Tenant '${tenant}' not found.`);
    const refused = await refusedPublicClient(reply, form.client_id);
    if (refused) return refused;
    const audience = requestedAudience(req, ctx.hostnames, form);
    if (!audience) return unknownResource(reply, form);
    const requested = form.scope !== undefined ? { scope: form.scope } : { resource: form.resource };
    const flow = deviceCodes.start(form.client_id!, requested, req.socket.remoteAddress ?? "");
    if (!flow) {
      reply.header("retry-after", "60");
      return aadError(
        reply,
        429,
        "temporarily_unavailable",
        50196,
        "Too many device code sign-ins are pending from this address or on this server; retry later.",
      );
    }
    const verificationUri = `${signInPageOrigin(req)}/devicelogin`;
    reply.header("cache-control", "no-store, no-cache");
    return {
      user_code: flow.userCode,
      device_code: flow.deviceCode,
      verification_uri: verificationUri,
      expires_in: DEVICE_CODE_LIFETIME_SECONDS,
      interval: DEVICE_CODE_POLL_INTERVAL_SECONDS,
      message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${flow.userCode} to authenticate.`,
    };
  }

  async function issueToken(req: FastifyRequest, reply: FastifyReply) {
    const tenant = tenantParam(req);
    const form = formFields(req.body);
    if (!knownTenant(tokens, tenant))
      return aadError(reply, 400, "invalid_request", 90002, `Tenant '${tenant}' not found.`);
    switch (form.grant_type) {
      case "client_credentials":
        return clientCredentials(req, reply, form);
      case "password":
      case "authorization_code":
      case "refresh_token":
      case DEVICE_CODE_GRANT:
        return userGrant(req, reply, form);
      default:
        return aadError(reply, 400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.");
    }
  }

  async function clientCredentials(req: FastifyRequest, reply: FastifyReply, form: Record<string, string | undefined>) {
    const [basicId, basicSecret] = basicCredentials(req.headers.authorization);
    const clientId = form.client_id ?? basicId;
    const clientSecret = form.client_secret ?? basicSecret;
    if (!clientId)
      return aadError(
        reply,
        400,
        "invalid_request",
        900144,
        "The request body must contain the following parameter: 'client_id'.",
      );
    if (!clientSecret) {
      return aadError(
        reply,
        401,
        "invalid_client",
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    const audience = requestedAudience(req, ctx.hostnames, form);
    if (!audience) return unknownResource(reply, form);
    // Throttled by the connection's address; clients of the CONNECT proxy (loopback only) all come from 127.0.0.1.
    const principal = await authenticateClient(store, signIn, clientId, clientSecret, req.socket.remoteAddress ?? "");
    if (principal === "unknown-client") {
      return aadError(
        reply,
        400,
        "unauthorized_client",
        700016,
        `Application with identifier '${clientId}' was not found in the directory.`,
      );
    }
    if (principal === "invalid-secret") {
      return aadError(
        reply,
        401,
        "invalid_client",
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      );
    }
    if ("reason" in principal) return throttled(reply, principal, `application '${clientId}'`);
    return tokenResponse(reply, form, await tokens.issue(principal, audience));
  }

  /** The grants that sign a user in (password, device code, authorization code) or keep one signed in (refresh token). */
  async function userGrant(req: FastifyRequest, reply: FastifyReply, form: Record<string, string | undefined>) {
    const refused = await refusedPublicClient(reply, form.client_id);
    if (refused) return refused;
    const clientId = form.client_id!;
    // Checked before any password is: a device code poll names none (its flow's, checked at its start, is used), nor
    // need a code's redemption (its authorization request's is used).
    const namesItsOwn = form.grant_type === DEVICE_CODE_GRANT || form.grant_type === "authorization_code";
    if (!namesItsOwn && !requestedAudience(req, ctx.hostnames, form)) return unknownResource(reply, form);
    let signedIn: { objectId: string; credentialGeneration?: number; authTime?: number; nonce?: string };
    if (form.grant_type === "password") {
      const { username, password } = form;
      if (!username || !password)
        return aadError(
          reply,
          400,
          "invalid_request",
          900144,
          `The request body must contain the following parameter: '${username ? "password" : "username"}'.`,
        );
      const user = await authenticateUser(store, signIn.throttle, username, password, req.socket.remoteAddress ?? "");
      if (user === "invalid-credentials")
        return aadError(
          reply,
          400,
          "invalid_grant",
          50126,
          "Error validating credentials due to invalid username or password.",
        );
      if (user === "disabled") return aadError(reply, 400, "invalid_grant", 50057, "The user account is disabled.");
      if ("reason" in user) return throttled(reply, user, "this user");
      signedIn = user;
    } else if (form.grant_type === "refresh_token") {
      const claims =
        form.refresh_token && form.refresh_token.length <= 4096
          ? await tokens.verifyRefreshToken(form.refresh_token)
          : undefined;
      if (!claims || claims.clientId !== clientId) {
        return aadError(reply, 400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.");
      }
      signedIn = claims;
    } else if (form.grant_type === "authorization_code") {
      const grant = await redeemAuthorizationCode(store, form, clientId);
      if ("description" in grant) return aadError(reply, 400, "invalid_grant", grant.code, grant.description);
      signedIn = grant;
      if (form.scope === undefined && form.resource === undefined) form = { ...form, ...grant.requested };
    } else {
      const flow =
        form.device_code && form.device_code.length <= MAX_SECRET_LENGTH
          ? deviceCodes.poll(form.device_code, clientId)
          : "unknown";
      if (flow === "pending")
        return aadError(
          reply,
          400,
          "authorization_pending",
          70016,
          "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        );
      if (flow === "expired")
        return aadError(
          reply,
          400,
          "expired_token",
          70020,
          "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
        );
      if (flow === "unknown")
        return aadError(
          reply,
          400,
          "invalid_grant",
          70000,
          "The provided value for the input parameter 'device_code' is not valid.",
        );
      signedIn = { objectId: flow.approvedFor! };
      form = { ...form, ...flow.requested };
    }
    const resource = requestedAudience(req, ctx.hostnames, form);
    if (!resource) return unknownResource(reply, form);
    // The user as it stands now: deleted, disabled or given a new password since, its refresh tokens are refused.
    const user = await store.users.getByObjectId(signedIn.objectId);
    if (!user || (signedIn.credentialGeneration ?? user.credentialGeneration) !== user.credentialGeneration) {
      return aadError(
        reply,
        400,
        "invalid_grant",
        50173,
        "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.",
      );
    }
    if (!user.accountEnabled) return aadError(reply, 400, "invalid_grant", 50057, "The user account is disabled.");
    const issued = await tokens.issueForUser(user, resource, clientId, signedIn.authTime, signedIn.nonce);
    return tokenResponse(reply, form, issued.accessToken, {
      refresh_token: issued.refreshToken,
      id_token: issued.idToken,
      client_info: issued.clientInfo,
    });
  }

  /** The token response: v2's for a `scope` request, v1's (string numbers, resource, expires_on) for a `resource` one. */
  function tokenResponse(
    reply: FastifyReply,
    form: Record<string, string | undefined>,
    accessToken: string,
    user: Record<string, string> = {},
  ) {
    const now = Math.floor(Date.now() / 1000);
    reply.header("cache-control", "no-store, no-cache").header("pragma", "no-cache");
    if (form.scope !== undefined) {
      // The granted scope names the resource only (not openid, profile, offline_access), as Entra's does.
      const scope = form.scope
        .split(/\s+/)
        .filter((s) => !["openid", "profile", "offline_access", ""].includes(s))
        .join(" ");
      return {
        token_type: "Bearer",
        ...(user.id_token ? { scope } : {}),
        expires_in: TOKEN_LIFETIME_SECONDS,
        ext_expires_in: TOKEN_LIFETIME_SECONDS,
        access_token: accessToken,
        ...user,
      };
    }
    return {
      token_type: "Bearer",
      expires_in: String(TOKEN_LIFETIME_SECONDS),
      ext_expires_in: String(TOKEN_LIFETIME_SECONDS),
      expires_on: String(now + TOKEN_LIFETIME_SECONDS),
      not_before: String(now),
      resource: form.resource,
      access_token: accessToken,
      ...user,
    };
  }
}

function basicCredentials(header: string | undefined): [string?, string?] {
  if (!header?.startsWith("Basic ")) return [];
  const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return [];
  return [
    decodePercent(decoded.slice(0, colon), "The Basic client id"),
    decodePercent(decoded.slice(colon + 1), "The Basic client secret"),
  ];
}
