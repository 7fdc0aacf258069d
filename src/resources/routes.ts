// ARM's Microsoft.Resources API under the server's one subscription: subscriptions, tenants, resource groups
// (delete is a long-running operation) and the generic `/resources` listing that az uses to find a vault by name.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { authenticateManagement, requireAdministrator } from "../authorization/administrator.js";
import { requireSubscription } from "../http/arm.js";
import { jsonBody } from "../http/body.js";
import { KeyVaultError } from "../http/errors.js";
import type { ServerContext } from "../server/context.js";
import { toGenericVaultResource, type VaultProperties } from "../vaults/model.js";
import { matchesFilter, parseResourceFilter } from "./filter.js";
import { toArmResourceGroup, toArmSubscription, toArmTenant } from "./model.js";
import {
  createOrUpdateResourceGroup,
  deleteResourceGroup,
  getResourceGroup,
  updateResourceGroup,
  type ResourceGroupInput,
} from "./operations.js";

type GroupParams = { subscriptionId: string; resourceGroup: string };

/** The id of a group deletion's operation: stateless, so any node can answer the poll. */
const deletionOperation = (group: string) => Buffer.from(`ResourceGroupDeletionJob:${group}`).toString("base64url");

/**
 * What any signed-in principal may list: the tenant, and the subscription only if it may manage it (as in Azure,
 * a principal without a role sees an empty list, and `az login` needs --allow-no-subscriptions).
 */
export async function accountRoutes(app: FastifyInstance, ctx: ServerContext) {
  app.addHook("onRequest", authenticateManagement(ctx));
  const subscriptions = (req: FastifyRequest) => (req.managementCaller!.isAdministrator ? [toArmSubscription(ctx.subscriptionId, ctx.tokens.tenantId)] : []);
  app.get("/subscriptions", async (req) => ({ value: subscriptions(req) }));
  app.get("/tenants", async () => ({ value: [toArmTenant(ctx.tokens.tenantId)] }));
}

export async function resourceRoutes(app: FastifyInstance, ctx: ServerContext) {
  app.addHook("onRequest", requireAdministrator(ctx));
  app.addHook("preHandler", requireSubscription(ctx.subscriptionId));
  const sub = ctx.subscriptionId;
  const groupName = (req: FastifyRequest) => (req.params as GroupParams).resourceGroup;

  app.get("/subscriptions/:subscriptionId", async () => toArmSubscription(sub, ctx.tokens.tenantId));

  const base = "/subscriptions/:subscriptionId/resourcegroups";
  const one = `${base}/:resourceGroup`;
  app.get(base, async () => ({ value: (await ctx.store.listResourceGroups()).map((g) => toArmResourceGroup(sub, g)) }));
  app.get(one, { exposeHeadRoute: false }, async (req) => toArmResourceGroup(sub, await getResourceGroup(ctx.store, groupName(req))));
  // CheckExistence (`az group exists`): 204 or 404, nothing else (the SDK raises on a 200).
  app.head(one, async (req, reply) => reply.code((await ctx.store.getResourceGroup(groupName(req))) ? 204 : 404).send());
  app.put(one, async (req, reply) => {
    const { group, created } = await createOrUpdateResourceGroup(ctx.store, groupName(req), jsonBody(req) as ResourceGroupInput);
    return reply.code(created ? 201 : 200).send(toArmResourceGroup(sub, group));
  });
  app.patch(one, async (req) => toArmResourceGroup(sub, await updateResourceGroup(ctx.store, groupName(req), jsonBody(req) as ResourceGroupInput)));
  app.delete(one, async (req, reply) => {
    const name = groupName(req);
    await deleteResourceGroup(ctx.store, name);
    const apiVersion = (req.query as { "api-version"?: string })["api-version"] ?? "2021-04-01";
    const location = `https://${req.host}/subscriptions/${sub}/operationresults/${deletionOperation(name)}?api-version=${encodeURIComponent(apiVersion)}`;
    return reply.code(202).header("location", location).header("retry-after", "0").send();
  });
  // The deletion above has finished by the time it answers, so its operation has succeeded (200, no body).
  app.get("/subscriptions/:subscriptionId/operationresults/:operationId", async (req, reply) => {
    const { operationId } = req.params as { operationId: string };
    const job = Buffer.from(operationId, "base64url").toString();
    if (!job.startsWith("ResourceGroupDeletionJob:")) {
      throw new KeyVaultError(404, "NotFound", `The operation '${operationId}' was not found.`);
    }
    return reply.code(200).send();
  });

  const listResources = async (req: FastifyRequest, group?: string) => {
    const filter = parseResourceFilter((req.query as { $filter?: string }).$filter);
    if (group !== undefined) await getResourceGroup(ctx.store, group);
    const vaults = await ctx.store.listVaults<VaultProperties>();
    return {
      value: vaults
        .filter((v) => group === undefined || v.resourceGroup.toLowerCase() === group.toLowerCase())
        .filter((v) => matchesFilter(filter, { type: "Microsoft.KeyVault/vaults", name: v.name, resourceGroup: v.resourceGroup }))
        .map((v) => toGenericVaultResource(sub, v)),
    };
  };
  app.get("/subscriptions/:subscriptionId/resources", async (req) => listResources(req));
  app.get(`${one}/resources`, async (req) => listResources(req, groupName(req)));
}
