// The authorization endpoint (`/{tenant}/oauth2/v2.0/authorize` and v1's `/{tenant}/oauth2/authorize`): the
// authorization-code flow with PKCE as Entra runs it for public clients. A request whose client or redirect URI cannot
// be trusted gets an error page (Entra never redirects to an unregistered URI); any other error is sent back to the
// client's redirect URI; else the person signs in on Kluis's page (sign-in-form.ts) and is sent back with a code.
import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ANSWERS_HEAD } from "../http/route.js";
import { isServerHost } from "../http/vault-host.js";
import { originOf } from "./authenticate.js";
import {
  AZ_CLIENT_ID,
  issueAuthorizationCode,
  redirectUriAllowed,
  S256_CHALLENGE,
  WEB_UI_CLIENT_ID,
} from "./authorization-codes.js";
import type { ServerContext } from "./context.js";
import { parseForm } from "./form.js";
import { MAX_SECRET_LENGTH, type SignIn } from "./principals.js";
import { knownTenant, requestedAudience, unknownPublicClient } from "./requests.js";
import { noteSignIn } from "./sign-in-record.js";
import {
  checkUserOnPage,
  escapeHtml,
  fromOwnForm,
  installPageErrors,
  MAX_FORM_BYTES,
  newCsrfToken,
  page,
  pageHeaders,
  postedFields,
} from "./sign-in-form.js";
import { MAX_USER_PRINCIPAL_NAME } from "./users.js";

const RESPONSE_MODES = ["query", "fragment", "form_post"];
/** Bounds of what a code carries (it holds them sealed) and of the state echoed back. */
const MAX_LENGTHS: Record<string, number> = { redirect_uri: 512, scope: 1024, resource: 1024, nonce: 512, state: 2048 };
/** form_post's page posts itself with this one script, allowed by its hash and nothing else. */
const AUTO_POST = "document.forms[0].submit();";
const AUTO_POST_HASH = `sha256-${createHash("sha256").update(AUTO_POST).digest("base64")}`;
const CLIENT_NAMES = new Map([
  [AZ_CLIENT_ID, "Azure CLI"],
  [WEB_UI_CLIENT_ID, "Kluis web UI"],
]);

/** An error sent back to the client's redirect URI, in Entra's words. */
interface RedirectError {
  error: string;
  code: number;
  description: string;
}

export async function authorizePageRoutes(app: FastifyInstance, ctx: ServerContext, signIn: SignIn) {
  const { store, tokens } = ctx;
  const errorPage = (reply: FastifyReply, status: number, message: string) =>
    reply
      .code(status)
      .headers(pageHeaders())
      .send(
        page(
          "Sign in to Kluis",
          `<p>Sorry, but we're having trouble signing you in.</p>\n<p role="alert">${escapeHtml(message)}</p>`,
        ),
      );
  installPageErrors(app, (_req, reply, status, message) => errorPage(reply, status, message));

  for (const path of ["/:tenant/oauth2/v2.0/authorize", "/:tenant/oauth2/authorize"]) {
    app.get(path, ANSWERS_HEAD, (req, reply) => authorize(req, reply));
    app.post(path, { bodyLimit: MAX_FORM_BYTES }, (req, reply) => authorize(req, reply, postedFields(req.body)));
  }

  async function authorize(req: FastifyRequest, reply: FastifyReply, posted?: (name: string) => string) {
    const tenant = (req.params as { tenant: string }).tenant;
    const q = req.url.indexOf("?");
    const query: Record<string, string | undefined> = q < 0 ? {} : parseForm(req.url.slice(q + 1), "query");
    if (posted) noteSignIn(req, "authorization_code", { clientId: query.client_id, username: posted("username") });
    if (!knownTenant(tokens, tenant)) return errorPage(reply, 400, `AADSTS90002: Tenant '${tenant}' not found.`);
    const clientId = query.client_id;
    if (!clientId)
      return errorPage(reply, 400, "AADSTS900144: The request body must contain the following parameter: 'client_id'.");
    if (await unknownPublicClient(store, clientId))
      return errorPage(
        reply,
        400,
        `AADSTS700016: Application with identifier '${clientId.slice(0, 64)}' was not found in the directory, or is not a public client.`,
      );
    const redirectUri = query.redirect_uri ?? "";
    const pageOrigin = isServerHost(req.hostname, ctx.hostnames) ? originOf(req) : undefined;
    if (redirectUri.length > MAX_LENGTHS.redirect_uri! || !redirectUriAllowed(clientId, redirectUri, pageOrigin))
      return errorPage(
        reply,
        400,
        `AADSTS50011: The redirect URI '${redirectUri.slice(0, 512)}' specified in the request does not match the redirect URIs configured for the application '${clientId}'.`,
      );
    const mode = query.response_mode ?? "query";
    const back = (params: Record<string, string>) =>
      sendBack(reply, redirectUri, RESPONSE_MODES.includes(mode) ? mode : "query", {
        ...params,
        ...(query.state === undefined ? {} : { state: query.state }),
      });
    const refused = refusal(req, query, mode);
    if (refused)
      return back({ error: refused.error, error_description: `AADSTS${refused.code}: ${refused.description}` });

    const formAction = `'self' ${new URL(redirectUri).origin}`;
    const showForm = (status: number, message?: string) =>
      reply
        .code(status)
        .headers(pageHeaders(formAction))
        .send(signInForm(req.url, newCsrfToken(reply), clientId, redirectUri, query.login_hint ?? "", message));
    if (!posted) return showForm(200);
    if (!fromOwnForm(req, posted("csrf"))) return showForm(403, "This sign-in form has expired. Sign in again.");
    const user = await checkUserOnPage(req, reply, store, signIn, posted("username"), posted("password"));
    if ("message" in user) return showForm(user.status, user.message);
    const code = issueAuthorizationCode(store, user, {
      clientId,
      redirectUri,
      codeChallenge: query.code_challenge!,
      ...(query.nonce === undefined ? {} : { nonce: query.nonce }),
      requested: query.scope !== undefined ? { scope: query.scope } : { resource: query.resource! },
    });
    return back({ code });
  }

  /** What Entra refuses in an authorization request once its client and redirect URI are trusted. */
  function refusal(
    req: FastifyRequest,
    query: Record<string, string | undefined>,
    mode: string,
  ): RedirectError | undefined {
    const tooLong = Object.keys(MAX_LENGTHS).find((name) => (query[name]?.length ?? 0) > MAX_LENGTHS[name]!);
    if (tooLong)
      return { error: "invalid_request", code: 90015, description: `The parameter '${tooLong}' is too long.` };
    if (!RESPONSE_MODES.includes(mode))
      return {
        error: "invalid_request",
        code: 900144,
        description: `The response_mode '${mode.slice(0, 32)}' is not supported; use query, fragment or form_post.`,
      };
    if (query.response_type !== "code")
      return {
        error: "unsupported_response_type",
        code: 700054,
        description: "Only response_type 'code' is enabled for this application.",
      };
    if (query.scope === undefined && query.resource === undefined)
      return {
        error: "invalid_request",
        code: 900144,
        description: "The request body must contain the following parameter: 'scope'.",
      };
    if (!requestedAudience(req, ctx.hostnames, query))
      return {
        error: "invalid_resource",
        code: 500011,
        description: `The resource principal named ${query.scope ?? query.resource} was not found in the tenant.`,
      };
    if (query.code_challenge === undefined)
      return {
        error: "invalid_request",
        code: 9002325,
        description: "Proof Key for Code Exchange is required for public clients: send code_challenge.",
      };
    if ((query.code_challenge_method ?? "plain") !== "S256" || !S256_CHALLENGE.test(query.code_challenge))
      return {
        error: "invalid_request",
        code: 501491,
        description: "Invalid code_challenge: Kluis takes code_challenge_method S256 only, a 43-character challenge.",
      };
    if (query.prompt === "none")
      return {
        error: "login_required",
        code: 50058,
        description: "A silent sign-in request was sent but no user is signed in.",
      };
    return undefined;
  }
}

function signInForm(
  action: string,
  csrf: string,
  clientId: string,
  redirectUri: string,
  loginHint: string,
  message?: string,
): string {
  const client = CLIENT_NAMES.get(clientId) ?? `application ${clientId}`;
  return page(
    "Sign in to Kluis",
    `<p>to continue to ${escapeHtml(client)} at ${escapeHtml(new URL(redirectUri).origin)}</p>
${message ? `<p role="alert">${escapeHtml(message)}</p>\n` : ""}<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<p><label>User name <input name="username" required maxlength="${MAX_USER_PRINCIPAL_NAME}" autocomplete="username" value="${escapeHtml(loginHint.slice(0, MAX_USER_PRINCIPAL_NAME))}" autofocus></label></p>
<p><label>Password <input name="password" type="password" required maxlength="${MAX_SECRET_LENGTH}" autocomplete="current-password"></label></p>
<p><button type="submit">Sign in</button></p>
</form>`,
  );
}

/** The response to the client at its redirect URI: a 302 with the query or fragment, or a page that posts a form. */
function sendBack(reply: FastifyReply, redirectUri: string, mode: string, params: Record<string, string>) {
  if (mode === "form_post") {
    const inputs = Object.entries(params)
      .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
      .join("\n");
    return reply
      .code(200)
      .headers(pageHeaders(new URL(redirectUri).origin, AUTO_POST_HASH))
      .send(
        page(
          "Signing you in",
          `<form method="post" action="${escapeHtml(redirectUri)}">\n${inputs}\n<p><button type="submit">Continue</button></p>\n</form>\n<script>${AUTO_POST}</script>`,
        ),
      );
  }
  const encoded = new URLSearchParams(params).toString();
  const location =
    mode === "fragment"
      ? `${redirectUri}#${encoded}`
      : `${redirectUri}${redirectUri.includes("?") ? "&" : "?"}${encoded}`;
  return reply.code(302).headers({ location, "cache-control": "no-store", "referrer-policy": "no-referrer" }).send();
}
