// The device code flow's sign-in page (`/devicelogin`): a person enters the code their CLI printed, their user name
// and password. Server-rendered HTML without any script or style, under a CSP that allows nothing but posting the
// form back here; the form carries a CSRF token that must match a SameSite=Strict cookie; passwords are checked
// through the same throttle as the token endpoint's.
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { originOf } from "./authenticate.js";
import { USER_CODE_LENGTH, type DeviceCodes } from "./device-codes.js";
import { MAX_SECRET_LENGTH, type SignIn } from "./principals.js";
import { authenticateUser, MAX_USER_PRINCIPAL_NAME } from "./users.js";
import type { Store } from "../store/store.js";
import { isJsonObject } from "../http/body.js";

/** The form's fields are short: a code, a user name, a password and the CSRF token. */
const MAX_FORM_BYTES = 2048;
const CSRF_COOKIE = "__Host-kluis-csrf";

const HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "content-security-policy": "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body><h1>${escapeHtml(title)}</h1>\n${body}\n</body></html>\n`;
}

function form(csrf: string, message?: string): string {
  return page(
    "Sign in to Kluis",
    `${message ? `<p role="alert">${escapeHtml(message)}</p>\n` : ""}<form method="post" action="/devicelogin">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<p><label>Code <input name="otc" required maxlength="${USER_CODE_LENGTH + 4}" autocomplete="off" autofocus></label></p>
<p><label>User name <input name="username" required maxlength="${MAX_USER_PRINCIPAL_NAME}" autocomplete="username"></label></p>
<p><label>Password <input name="password" type="password" required maxlength="${MAX_SECRET_LENGTH}" autocomplete="current-password"></label></p>
<p><button type="submit">Sign in</button></p>
</form>`,
  );
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const sameToken = (a: string | undefined, b: string | undefined) =>
  a !== undefined &&
  b !== undefined &&
  a.length === b.length &&
  a.length > 0 &&
  timingSafeEqual(Buffer.from(a), Buffer.from(b));

export async function signInPageRoutes(app: FastifyInstance, store: Store, signIn: SignIn, deviceCodes: DeviceCodes) {
  /** Every answer is the form again (with a fresh CSRF token and a message) or the end page. */
  function answer(reply: FastifyReply, status: number, html: string) {
    return reply.code(status).headers(HEADERS).send(html);
  }
  function formAgain(reply: FastifyReply, status: number, message?: string) {
    const csrf = randomBytes(32).toString("base64url");
    reply.header("set-cookie", `${CSRF_COOKIE}=${csrf}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=900`);
    return answer(reply, status, form(csrf, message));
  }

  // Whatever fails here (a body too large, malformed or of another type) gets the form again, never a stack or JSON.
  app.setErrorHandler((err: { statusCode?: number }, req, reply) => {
    const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err, url: req.routeOptions.url }, "unexpected error");
    return formAgain(
      reply,
      status,
      status === 500 ? "Something went wrong. Try again." : "The form could not be read. Try again.",
    );
  });

  app.get("/devicelogin", async (_req, reply) => formAgain(reply, 200));

  app.post("/devicelogin", { bodyLimit: MAX_FORM_BYTES }, async (req: FastifyRequest, reply) => {
    const fields = isJsonObject(req.body) ? req.body : {};
    const text = (name: string) => {
      const value = fields[name];
      return typeof value === "string" ? value : "";
    };
    // Another site's form cannot carry the cookie (SameSite=Strict) nor read the token; a browser's Origin says so too.
    const origin = req.headers.origin;
    if (
      (origin !== undefined && origin !== originOf(req)) ||
      !sameToken(cookieValue(req.headers.cookie, CSRF_COOKIE), text("csrf"))
    ) {
      return formAgain(reply, 403, "This sign-in form has expired. Enter your code again.");
    }
    const code = text("otc");
    const flow = code.length <= USER_CODE_LENGTH + 4 ? deviceCodes.pending(code) : undefined;
    if (!flow)
      return formAgain(
        reply,
        400,
        "AADSTS70000: That code didn't work. Check the code and try again; a code is good for 15 minutes, once.",
      );
    const user = await authenticateUser(
      store,
      signIn.throttle,
      text("username"),
      text("password"),
      req.socket.remoteAddress ?? "",
    );
    if (user === "invalid-credentials")
      return formAgain(reply, 400, "AADSTS50126: Error validating credentials due to invalid username or password.");
    if (user === "disabled") return formAgain(reply, 400, "AADSTS50057: The user account is disabled.");
    if ("reason" in user) {
      reply.header("retry-after", String(user.retryAfterSeconds));
      return formAgain(
        reply,
        429,
        `AADSTS50196: Too many sign-ins are being checked; retry after ${user.retryAfterSeconds} seconds.`,
      );
    }
    deviceCodes.approve(flow, user.objectId);
    return answer(
      reply,
      200,
      page(
        "You are signed in",
        `<p>You have signed in to Kluis as ${escapeHtml(user.userPrincipalName)} on your device. You may now close this window.</p>`,
      ),
    );
  });
}
