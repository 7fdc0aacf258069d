// Service principal management (what `az ad sp` does through Microsoft Graph), for administrators.
import type { FastifyInstance } from "fastify";
import { requireAdministrator } from "../authorization/management.js";
import { badParameter, KeyVaultError } from "../http/errors.js";
import type { ServerContext } from "../identity/context.js";
import { createServicePrincipal, resetServicePrincipalCredential } from "../identity/principals.js";
import { deleteServicePrincipal } from "../vaults/principal-removal.js";
import type { Route } from "../http/route.js";

export async function servicePrincipalRoutes(app: FastifyInstance, ctx: ServerContext) {
  app.addHook("onRequest", requireAdministrator(ctx));
  const notFound = (appId: string) =>
    new KeyVaultError(
      404,
      "Request_ResourceNotFound",
      `Resource '${appId}' does not exist or one of its queried reference-property objects are not present.`,
    );

  app.post("/kluis/servicePrincipals", async (req, reply) => {
    const displayName = (req.body as { displayName?: unknown } | undefined)?.displayName;
    if (typeof displayName !== "string" || !displayName.trim()) throw badParameter("displayName is required.");
    const sp = await createServicePrincipal(ctx.store, displayName.trim());
    return reply.code(201).send({ ...sp, tenant: ctx.tokens.tenantId });
  });

  app.get("/kluis/servicePrincipals", async () => ({
    value: (await ctx.store.principals.list()).map((p) => ({
      appId: p.appId,
      id: p.objectId,
      displayName: p.displayName,
      servicePrincipalType: "Application",
      appOwnerOrganizationId: ctx.tokens.tenantId,
    })),
  }));

  app.get<Route<"appId">>("/kluis/servicePrincipals/:appId", async (req) => {
    const { appId } = req.params;
    const p = await ctx.store.principals.getByAppId(appId);
    if (!p) throw notFound(appId);
    return { appId: p.appId, id: p.objectId, displayName: p.displayName, servicePrincipalType: "Application" };
  });

  app.delete<Route<"appId">>("/kluis/servicePrincipals/:appId", async (req, reply) => {
    const { appId } = req.params;
    const deleted = await deleteServicePrincipal(ctx.store, ctx.tokens, appId);
    if (!deleted) throw notFound(appId);
    return reply.code(204).send();
  });

  app.post<Route<"appId">>("/kluis/servicePrincipals/:appId/credentials/reset", async (req) => {
    const { appId } = req.params;
    const reset = await resetServicePrincipalCredential(ctx.store, ctx.tokens, appId);
    if (!reset) throw notFound(appId);
    return { appId, password: reset.password, tenant: ctx.tokens.tenantId };
  });
}
