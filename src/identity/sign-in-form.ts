// What Kluis's two sign-in pages share (the device code page, /devicelogin, and the authorization endpoint's,
// /{tenant}/oauth2/v2.0/authorize): server-rendered HTML without any script or style, under a CSP that allows nothing
// but posting the form; a CSRF token that must match a SameSite=Strict `__Host-` cookie; passwords checked through
// the same throttle as the token endpoint's.
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { originOf } from "./authenticate.js";
import type { SignIn } from "./principals.js";
import { authenticateUser } from "./users.js";
import type { UserRecord } from "../store/repositories/users.js";
import type { Store } from "../store/store.js";
import { isJsonObject } from "../http/body.js";

/** The forms' fields are short: a code, a user name, a password and the CSRF token. */
export const MAX_FORM_BYTES = 2048;
const CSRF_COOKIE = "__Host-kluis-csrf";

/** The page's headers; `formAction` names where its form may post (and, in Chrome, where that post may redirect). */
export function pageHeaders(formAction = "'self'", scriptHash?: string) {
  const script = scriptHash ? `; script-src '${scriptHash}'` : "";
  return {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": `default-src 'none'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'${script}`,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    // Not no-referrer: under it a browser posts the form with `Origin: null`, which fromOwnForm refuses (found by the
    // web UI's Chromium test). same-origin still sends nothing to another site.
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
  };
}

export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function page(title: string, body: string): string {
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body><h1>${escapeHtml(title)}</h1>\n${body}\n</body></html>\n`;
}

/** A fresh CSRF token, set as the cookie the form's post must carry back. */
export function newCsrfToken(reply: FastifyReply): string {
  const csrf = randomBytes(32).toString("base64url");
  reply.header("set-cookie", `${CSRF_COOKIE}=${csrf}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=900`);
  return csrf;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Whether a post came from this server's own form: another site's form cannot carry the cookie (SameSite=Strict)
 * nor read the token, and a browser's Origin says where it came from too.
 */
export function fromOwnForm(req: FastifyRequest, csrf: string): boolean {
  const origin = req.headers.origin;
  const cookie = cookieValue(req.headers.cookie, CSRF_COOKIE);
  return (
    (origin === undefined || origin === originOf(req)) &&
    cookie !== undefined &&
    cookie.length === csrf.length &&
    csrf.length > 0 &&
    timingSafeEqual(Buffer.from(cookie), Buffer.from(csrf))
  );
}

/** A form's string fields (a form body holds nothing else, but a JSON one may). */
export function postedFields(body: unknown): (name: string) => string {
  const fields = isJsonObject(body) ? body : {};
  return (name) => {
    const value = fields[name];
    return typeof value === "string" ? value : "";
  };
}

/** The user a form's name and password sign in, or the status and message (Entra's AADSTS wording) to show. */
export async function checkUserOnPage(
  req: FastifyRequest,
  reply: FastifyReply,
  store: Store,
  signIn: SignIn,
  username: string,
  password: string,
): Promise<UserRecord | { status: number; message: string }> {
  const user = await authenticateUser(store, signIn.throttle, username, password, req.socket.remoteAddress ?? "");
  if (user === "invalid-credentials")
    return { status: 400, message: "AADSTS50126: Error validating credentials due to invalid username or password." };
  if (user === "disabled") return { status: 400, message: "AADSTS50057: The user account is disabled." };
  if ("reason" in user) {
    reply.header("retry-after", String(user.retryAfterSeconds));
    return {
      status: 429,
      message: `AADSTS50196: Too many sign-ins are being checked; retry after ${user.retryAfterSeconds} seconds.`,
    };
  }
  return user;
}

/** Whatever fails before a page's handler (a body too large, malformed or of another type) gets `answer`, never a stack or JSON. */
export function installPageErrors(
  app: FastifyInstance,
  answer: (req: FastifyRequest, reply: FastifyReply, status: number, message: string) => unknown,
): void {
  app.setErrorHandler((err: { statusCode?: number }, req, reply) => {
    const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err, url: req.routeOptions.url }, "unexpected error");
    return answer(
      req,
      reply,
      status,
      status === 500 ? "Something went wrong. Try again." : "The form could not be read. Try again.",
    );
  });
}
