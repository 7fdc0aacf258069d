// The device code flow's sign-in page (`/devicelogin`): a person enters the code their CLI printed, their user name
// and password. The page's safeguards (no script, strict CSP, CSRF token and cookie, throttled passwords) are
// sign-in-form.ts's, shared with the authorization endpoint's page.
import { ANSWERS_HEAD } from "../http/route.js";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { USER_CODE_LENGTH, type DeviceCodes } from "./device-codes.js";
import { MAX_SECRET_LENGTH, type SignIn } from "./principals.js";
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
import { noteEntraError, noteSignIn } from "./sign-in-record.js";
import { MAX_USER_PRINCIPAL_NAME } from "./users.js";
import type { Store } from "../store/store.js";

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

export async function signInPageRoutes(app: FastifyInstance, store: Store, signIn: SignIn, deviceCodes: DeviceCodes) {
  /** Every answer is the form again (with a fresh CSRF token and a message) or the end page. */
  function formAgain(reply: FastifyReply, status: number, message?: string) {
    return reply
      .code(status)
      .headers(pageHeaders())
      .send(form(newCsrfToken(reply), message));
  }
  installPageErrors(app, (_req, reply, status, message) => formAgain(reply, status, message));

  app.get("/devicelogin", ANSWERS_HEAD, async (_req, reply) => formAgain(reply, 200));

  app.post("/devicelogin", { bodyLimit: MAX_FORM_BYTES }, async (req: FastifyRequest, reply) => {
    const text = postedFields(req.body);
    noteSignIn(req, "device_code", { username: text("username") });
    if (!fromOwnForm(req, text("csrf")))
      return formAgain(reply, 403, "This sign-in form has expired. Enter your code again.");
    const code = text("otc");
    const flow = code.length <= USER_CODE_LENGTH + 4 ? deviceCodes.pending(code) : undefined;
    if (!flow) {
      const description = "That code didn't work. Check the code and try again; a code is good for 15 minutes, once.";
      noteEntraError(req, "invalid_grant", 70000, description);
      return formAgain(reply, 400, `AADSTS70000: ${description}`);
    }
    req.signInAttempt!.clientId = flow.clientId;
    const user = await checkUserOnPage(req, reply, store, signIn, text("username"), text("password"));
    if ("message" in user) return formAgain(reply, user.status, user.message);
    deviceCodes.approve(flow, user.objectId);
    return reply
      .code(200)
      .headers(pageHeaders())
      .send(
        page(
          "You are signed in",
          `<p>You have signed in to Kluis as ${escapeHtml(user.userPrincipalName)} on your device. You may now close this window.</p>`,
        ),
      );
  });
}
