// The device authorization endpoint (`/{tenant}/oauth2[/v2.0]/devicecode`, RFC 8628): a public client starts a
// device code sign-in, which the user completes on Kluis's own page (/devicelogin) and the token endpoint redeems.
import type { FastifyReply, FastifyRequest } from "fastify";
import { isServerHost } from "../http/vault-host.js";
import { pathParam } from "../http/route.js";
import { originOf } from "./authenticate.js";
import type { ServerContext } from "./context.js";
import { DEVICE_CODE_LIFETIME_SECONDS, DEVICE_CODE_POLL_INTERVAL_SECONDS, type DeviceCodes } from "./device-codes.js";
import { aadError } from "./errors.js";
import { knownTenant, requestedAudience } from "./requests.js";
import { noteSignIn } from "./sign-in-record.js";
import { formFields, refusedPublicClient, unknownResource } from "./token-refusals.js";

/** The endpoint's handler. */
export function deviceCodeEndpoint(ctx: ServerContext, deviceCodes: DeviceCodes) {
  const { store, tokens } = ctx;
  /**
   * The sign-in page is on the server itself: at the name the client reached it by when that is one of the server's
   * own, else (login.microsoftonline.com through the proxy, which a browser may not use) at its first name and port.
   */
  function signInPageOrigin(req: FastifyRequest): string {
    if (isServerHost(req.hostname, ctx.hostnames)) return originOf(req);
    const port = req.socket.localPort;
    return `https://${ctx.hostnames[0] ?? "localhost"}${port === 443 || port === undefined ? "" : `:${port}`}`;
  }

  return async function startDeviceFlow(req: FastifyRequest, reply: FastifyReply) {
    const tenant = pathParam(req, "tenant");
    const form = formFields(req.body);
    noteSignIn(req, "device_code", { clientId: form.client_id });
    if (!knownTenant(tokens, tenant))
      return aadError(reply, 400, "invalid_request", 90002, `Tenant '${tenant}' not found.`);
    const refused = await refusedPublicClient(store, reply, form.client_id);
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
  };
}
