// The identity provider's endpoints under one set of Entra errors: discovery (discovery.ts), the token endpoint
// (token-endpoint.ts) and the device authorization endpoint (device-code-endpoint.ts), each in the v2 and v1 forms.
import type { FastifyInstance } from "fastify";
import { countTokenResult } from "../metrics/hooks.js";
import type { ServerContext } from "./context.js";
import { deviceCodeEndpoint } from "./device-code-endpoint.js";
import type { DeviceCodes } from "./device-codes.js";
import { discoveryRoutes } from "./discovery.js";
import { installEntraErrors } from "./errors.js";
import { parseForm } from "./form.js";
import type { SignIn } from "./principals.js";
import { tokenEndpoint } from "./token-endpoint.js";

export async function identityRoutes(
  app: FastifyInstance,
  ctx: ServerContext,
  signIn: SignIn,
  deviceCodes: DeviceCodes,
) {
  installEntraErrors(app);
  // Queries too are decoded strictly here (Fastify's parser passes a malformed `%` through).
  app.addHook("onRequest", async (req) => {
    const q = req.url.indexOf("?");
    if (q >= 0) parseForm(req.url.slice(q + 1), "query");
  });

  discoveryRoutes(app, ctx);
  const issueToken = tokenEndpoint(ctx, signIn, deviceCodes);
  const startDeviceFlow = deviceCodeEndpoint(ctx, deviceCodes);
  for (const v2 of [true, false]) {
    app.post(`/:tenant/oauth2${v2 ? "/v2.0" : ""}/token`, { onResponse: countTokenResult }, issueToken);
    app.post(`/:tenant/oauth2${v2 ? "/v2.0" : ""}/devicecode`, startDeviceFlow);
  }
}
