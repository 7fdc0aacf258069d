// The OAuth2 token endpoint (`/{tenant}/oauth2[/v2.0]/token`, v2 and v1 forms) with its grants: client credentials
// (applications), password, device code, authorization code (with PKCE; the authorization endpoint is
// authorize-page.ts) and refresh token (users, for public clients such as az and the web UI). Errors use Entra's shape.
import type { FastifyReply, FastifyRequest } from "fastify";
import { pathParam } from "../http/route.js";
import { redeemAuthorizationCode } from "./authorization-codes.js";
import type { ServerContext } from "./context.js";
import type { DeviceCodes } from "./device-codes.js";
import { aadError } from "./errors.js";
import { decodePercent } from "./form.js";
import { authenticateClient, MAX_SECRET_LENGTH, type SignIn } from "./principals.js";
import { knownTenant, requestedAudience } from "./requests.js";
import { noteSignedIn, noteSignIn } from "./sign-in-record.js";
import {
  DEVICE_CODE_GRANT,
  formFields,
  missingClientId,
  missingClientSecret,
  refusedPublicClient,
  throttled,
  unknownClient,
  unknownResource,
} from "./token-refusals.js";
import { TOKEN_LIFETIME_SECONDS } from "./tokens.js";
import { authenticateUser } from "./users.js";

/** The endpoint's handler. */
export function tokenEndpoint(ctx: ServerContext, signIn: SignIn, deviceCodes: DeviceCodes) {
  const { store, tokens } = ctx;
  async function issueToken(req: FastifyRequest, reply: FastifyReply) {
    const tenant = pathParam(req, "tenant");
    const form = formFields(req.body);
    // Whom it names, for its audit entry; a device code or refresh token names its user only once it is verified.
    noteSignIn(req, form.grant_type ?? "(none)", { clientId: form.client_id, username: form.username });
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
    noteSignIn(req, "client_credentials", { clientId });
    if (!clientId) return missingClientId(reply);
    if (!clientSecret) return missingClientSecret(reply);
    const audience = requestedAudience(req, ctx.hostnames, form);
    if (!audience) return unknownResource(reply, form);
    // Throttled by the connection's address; clients of the CONNECT proxy (loopback only) all come from 127.0.0.1.
    const principal = await authenticateClient(store, signIn, clientId, clientSecret, req.socket.remoteAddress ?? "");
    if (principal === "unknown-client") return unknownClient(reply, clientId);
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
    const accessToken = await tokens.issue(principal, audience);
    noteSignedIn(req, { objectId: principal.objectId, appId: principal.appId });
    return tokenResponse(reply, form, accessToken);
  }

  /** The grants that sign a user in (password, device code, authorization code) or keep one signed in (refresh token). */
  async function userGrant(req: FastifyRequest, reply: FastifyReply, form: Record<string, string | undefined>) {
    const refused = await refusedPublicClient(store, reply, form.client_id);
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
    noteSignedIn(req, {
      objectId: user.objectId,
      appId: clientId,
      userPrincipalName: user.userPrincipalName,
    });
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
  return issueToken;
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
