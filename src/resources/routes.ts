// ARM's Microsoft.Resources API under the server's one subscription: subscriptions, tenants, resource groups
// (delete is a long-running operation) and the generic `/resources` listing that az uses to find a vault by name.
import type { FastifyInstance, FastifyRequest } from "fastify";
import {
  authorizationFailed,
  lists,
  managementPipeline,
  performs,
  readable,
  requestScope,
} from "../authorization/management.js";
import { getResourceGroup } from "../http/arm.js";
import { jsonBody } from "../http/body.js";
import { KeyVaultError } from "../http/errors.js";
import type { ServerContext } from "../identity/context.js";
import { toGenericVaultResource, type VaultProperties } from "../vaults/model.js";
import { matchesFilter, parseResourceFilter } from "./filter.js";
import { resourceGroupId, toArmResourceGroup, toArmSubscription, toArmTenant } from "./model.js";
import { createOrUpdateResourceGroup, deleteResourceGroup, updateResourceGroup } from "./operations.js";
import { getProvider, listProviders, PROVIDER_NAMESPACES } from "./providers.js";
import { deleteTagsAtScope, getTagsAtScope, setTagsAtScope, TAGS_PATH, toArmTags, type TagScope } from "./tags.js";
import { pathParam, queryOf } from "../http/route.js";

/** The id of a group deletion's operation: stateless, so any node can answer the poll. */
const deletionOperation = (group: string) => Buffer.from(`ResourceGroupDeletionJob:${group}`).toString("base64url");
const DELETION_JOB = "ResourceGroupDeletionJob:";

const GROUP_READ = "Microsoft.Resources/subscriptions/resourceGroups/read";
const VAULT_READ = "Microsoft.KeyVault/vaults/read";

/**
 * What any signed-in principal may list: its tenant, and the subscription when it holds a role at it or in it (as in
 * Azure, a principal without a role sees an empty list, and `az login` needs --allow-no-subscriptions).
 */
export async function accountRoutes(app: FastifyInstance, ctx: ServerContext) {
  managementPipeline(app, ctx);
  const subscription = `/subscriptions/${ctx.subscriptionId}`;
  app.get("/subscriptions", lists("Microsoft.Resources/subscriptions/read"), async (req) => ({
    value: req.management!.hasAnyRoleAround(subscription)
      ? [toArmSubscription(ctx.subscriptionId, ctx.tokens.tenantId)]
      : [],
  }));
  app.get("/tenants", lists("Microsoft.Resources/tenants/read"), async () => ({
    value: [toArmTenant(ctx.tokens.tenantId)],
  }));
}

export async function resourceRoutes(app: FastifyInstance, ctx: ServerContext) {
  managementPipeline(app, ctx);
  const sub = ctx.subscriptionId;
  const groupName = (req: FastifyRequest) => pathParam(req, "resourceGroup");

  // Whoever the subscription is listed to may read it and its providers; anyone else gets the refusal of a read.
  const readsSubscription = (req: FastifyRequest) => {
    const scope = `/subscriptions/${sub}`;
    const action = req.routeOptions.config.listing!;
    if (!req.management!.hasAnyRoleAround(scope)) throw authorizationFailed(req.management!.caller, action, scope);
  };
  app.get("/subscriptions/:subscriptionId", lists("Microsoft.Resources/subscriptions/read"), async (req) => {
    readsSubscription(req);
    return toArmSubscription(sub, ctx.tokens.tenantId);
  });

  // Resource providers; registering takes the namespace's register action at the subscription.
  const providers = "/subscriptions/:subscriptionId/providers";
  const PROVIDER_READ = "Microsoft.Resources/subscriptions/providers/read";
  app.get(providers, lists(PROVIDER_READ), async (req) => {
    readsSubscription(req);
    return listProviders(sub);
  });
  app.get(`${providers}/:namespace`, lists(PROVIDER_READ), async (req) => {
    readsSubscription(req);
    return getProvider(sub, pathParam(req, "namespace"));
  });
  for (const namespace of PROVIDER_NAMESPACES)
    app.post(
      `${providers}/${namespace}/register`,
      performs(`${namespace}/register/action`, () => `/subscriptions/${sub}`),
      async () => getProvider(sub, namespace),
    );
  app.post(`${providers}/:namespace/register`, lists(PROVIDER_READ), async (req) =>
    getProvider(sub, pathParam(req, "namespace")),
  );

  const base = "/subscriptions/:subscriptionId/resourcegroups";
  const one = `${base}/:resourceGroup`;
  app.get(base, lists(GROUP_READ), async (req) => ({
    value: readable(req, await ctx.store.resourceGroups.list(), (g) => resourceGroupId(sub, g.name)).map((g) =>
      toArmResourceGroup(sub, g),
    ),
  }));
  app.get(one, performs(GROUP_READ), async (req) =>
    toArmResourceGroup(sub, await getResourceGroup(ctx.store, groupName(req))),
  );
  // CheckExistence (`az group exists`): 204 or 404, nothing else (the SDK raises on a 200).
  app.head(one, performs(GROUP_READ), async (req, reply) =>
    reply.code((await ctx.store.resourceGroups.get(groupName(req))) ? 204 : 404).send(),
  );
  app.put(one, performs("Microsoft.Resources/subscriptions/resourceGroups/write"), async (req, reply) => {
    const { group, created } = await createOrUpdateResourceGroup(ctx.store, groupName(req), jsonBody(req));
    return reply.code(created ? 201 : 200).send(toArmResourceGroup(sub, group));
  });
  app.patch(one, performs("Microsoft.Resources/subscriptions/resourceGroups/write"), async (req) =>
    toArmResourceGroup(sub, await updateResourceGroup(ctx.store, groupName(req), jsonBody(req))),
  );
  app.delete(one, performs("Microsoft.Resources/subscriptions/resourceGroups/delete"), async (req, reply) => {
    const name = groupName(req);
    await deleteResourceGroup(ctx.store, sub, name);
    const apiVersion = String(queryOf(req)["api-version"] ?? "2021-04-01");
    const location = `https://${req.host}/subscriptions/${sub}/operationresults/${deletionOperation(name)}?api-version=${encodeURIComponent(apiVersion)}`;
    return reply.code(202).header("location", location).header("retry-after", "0").send();
  });
  // The deletion above has finished by the time it answers, so its operation has succeeded (200, no body). Polling it
  // is reading the group it deleted: whoever could delete the group can follow its deletion.
  const deletedGroup = (req: FastifyRequest) => {
    const job = Buffer.from(pathParam(req, "operationId"), "base64url").toString();
    return job.startsWith(DELETION_JOB) ? job.slice(DELETION_JOB.length) : undefined;
  };
  const pollScope = (req: FastifyRequest) => {
    const group = deletedGroup(req);
    return group === undefined ? requestScope(req) : resourceGroupId(sub, group);
  };
  app.get(
    "/subscriptions/:subscriptionId/operationresults/:operationId",
    performs(GROUP_READ, pollScope),
    async (req, reply) => {
      if (deletedGroup(req) === undefined) {
        throw new KeyVaultError(404, "NotFound", `The operation '${pathParam(req, "operationId")}' was not found.`);
      }
      return reply.code(200).send();
    },
  );

  // Tags at a group's or a vault's scope (the scope's id is the request's path up to /providers/Microsoft.Resources).
  const scopeId = (req: FastifyRequest) => requestScope(req).slice(0, -(TAGS_PATH.length + 1));
  for (const [path, scopeOf] of [
    [`${one}/${TAGS_PATH}`, (req) => ({ group: groupName(req) })],
    [
      `${one}/providers/Microsoft.KeyVault/vaults/:vaultName/${TAGS_PATH}`,
      (req) => ({ group: groupName(req), vault: pathParam(req, "vaultName") }),
    ],
  ] as [string, (req: FastifyRequest) => TagScope][]) {
    app.get(path, performs("Microsoft.Resources/tags/read"), async (req) =>
      toArmTags(scopeId(req), await getTagsAtScope(ctx.store, scopeOf(req))),
    );
    for (const method of ["PUT", "PATCH"] as const)
      app.route({
        method,
        url: path,
        ...performs("Microsoft.Resources/tags/write"),
        handler: async (req) =>
          toArmTags(scopeId(req), await setTagsAtScope(ctx.store, scopeOf(req), jsonBody(req), method === "PATCH")),
      });
    app.delete(path, performs("Microsoft.Resources/tags/delete"), async (req, reply) => {
      await deleteTagsAtScope(ctx.store, scopeOf(req));
      return reply.code(200).send();
    });
  }

  // Lists only the vaults the caller may read, as ARM filters a collection to what the caller can see.
  const listResources = async (req: FastifyRequest, group?: string) => {
    const filter = parseResourceFilter(queryOf(req).$filter);
    if (group !== undefined) await getResourceGroup(ctx.store, group);
    const vaults = (await ctx.store.vaults.list<VaultProperties>())
      .filter((v) => group === undefined || v.resourceGroup.toLowerCase() === group.toLowerCase())
      .filter((v) =>
        matchesFilter(filter, { type: "Microsoft.KeyVault/vaults", name: v.name, resourceGroup: v.resourceGroup }),
      )
      .map((v) => toGenericVaultResource(sub, v));
    return { value: readable(req, vaults, (v) => v.id) };
  };
  app.get("/subscriptions/:subscriptionId/resources", lists(VAULT_READ), async (req) => listResources(req));
  app.get(`${one}/resources`, lists(VAULT_READ), async (req) => listResources(req, groupName(req)));
}
