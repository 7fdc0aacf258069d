// ARM-shaped management API for Microsoft.KeyVault/vaults under the server's one subscription.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { lists, managementPipeline, performs, readable } from "../authorization/management.js";
import { findVaultInGroup, getResourceGroup, getVaultInGroup, vaultResourceId } from "../http/arm.js";
import { isJsonObject, jsonBody } from "../http/body.js";
import { badParameter } from "../http/errors.js";
import { pathParam, queryOf } from "../http/route.js";
import type { ServerContext } from "../identity/context.js";
import { toArmDeletedVault, toArmVault, type Vault, type VaultProperties } from "./model.js";
import {
  checkManagedHsmNameAvailability,
  checkNameAvailability,
  createOrUpdateVault,
  deleteVault,
  getDeletedVault,
  isAccessPolicyOperation,
  purgeDeletedVault,
  updateAccessPolicy,
} from "./operations.js";

/** ARM api-version 2026-02-01 and later create RBAC vaults unless told otherwise; earlier ones access-policy vaults. */
const rbacByDefault = (req: FastifyRequest) => String(queryOf(req)["api-version"] ?? "") >= "2026-02-01";

const VAULT_READ = "Microsoft.KeyVault/vaults/read";
const VAULT_WRITE = "Microsoft.KeyVault/vaults/write";

export async function vaultRoutes(app: FastifyInstance, ctx: ServerContext) {
  managementPipeline(app, ctx);

  const base = "/subscriptions/:subscriptionId";
  const one = `${base}/resourceGroups/:resourceGroup/providers/Microsoft.KeyVault/vaults/:vaultName`;
  const arm = (vault: Vault) => toArmVault(ctx.subscriptionId, vault);
  /** The path's group as it is spelled in the store (ARM answers ResourceGroupNotFound before anything about the vault). */
  const groupOf = async (req: FastifyRequest) =>
    (await getResourceGroup(ctx.store, pathParam(req, "resourceGroup"))).name;
  /** The path's vault, under the path's group: roles at that group's scope must never reach a vault of another. */
  const vaultOf = async (req: FastifyRequest) =>
    getVaultInGroup<VaultProperties>(ctx.store, await groupOf(req), pathParam(req, "vaultName"));
  /** The vaults the caller may read, of the given ones. */
  const visible = (req: FastifyRequest, vaults: Vault[]) =>
    readable(req, vaults, (v) => vaultResourceId(ctx.subscriptionId, v));

  app.get(`${base}/providers/Microsoft.KeyVault/vaults`, lists(VAULT_READ), async (req) => ({
    value: visible(req, await ctx.store.vaults.list<VaultProperties>()).map(arm),
  }));

  app.get(
    `${base}/resourceGroups/:resourceGroup/providers/Microsoft.KeyVault/vaults`,
    lists(VAULT_READ),
    async (req) => {
      const group = (await groupOf(req)).toLowerCase();
      return {
        value: visible(req, await ctx.store.vaults.list<VaultProperties>())
          .filter((v) => v.resourceGroup.toLowerCase() === group)
          .map(arm),
      };
    },
  );

  app.get(one, performs(VAULT_READ), async (req) => arm(await vaultOf(req)));

  app.put(one, performs(VAULT_WRITE), async (req, reply) => {
    const vaultName = pathParam(req, "vaultName");
    const group = await groupOf(req);
    const existed = await ctx.store.vaults.get(vaultName.toLowerCase());
    const vault = await createOrUpdateVault(
      ctx.store,
      ctx.tokens.tenantId,
      group,
      vaultName,
      jsonBody(req),
      rbacByDefault(req),
    );
    return reply.code(existed ? 200 : 201).send(arm(vault));
  });

  app.patch(one, performs(VAULT_WRITE), async (req) => {
    const vault = await vaultOf(req);
    return arm(
      await createOrUpdateVault(ctx.store, ctx.tokens.tenantId, vault.resourceGroup, vault.name, jsonBody(req)),
    );
  });

  // ARM's DELETE is idempotent: a vault that is not there is 204, as the SDKs expect.
  app.delete(one, performs("Microsoft.KeyVault/vaults/delete"), async (req, reply) => {
    const vault = await findVaultInGroup<VaultProperties>(ctx.store, await groupOf(req), pathParam(req, "vaultName"));
    if (!vault) return reply.code(204).send();
    await deleteVault(ctx.store, vault.name);
    return reply.code(200).send();
  });

  app.post(
    `${base}/providers/Microsoft.KeyVault/checkNameAvailability`,
    performs("Microsoft.KeyVault/checkNameAvailability/read"),
    async (req) => checkNameAvailability(ctx.store, jsonBody(req)),
  );
  app.post(
    `${base}/providers/Microsoft.KeyVault/checkMhsmNameAvailability`,
    performs("Microsoft.KeyVault/checkMhsmNameAvailability/read"),
    async (req) => checkManagedHsmNameAvailability(jsonBody(req)),
  );
  // A vault's private endpoints are reached through one group, `vault` (none is made: Kluis has no virtual networks).
  app.get(
    `${one}/privateLinkResources`,
    performs("Microsoft.KeyVault/vaults/privateLinkResources/read"),
    async (req) => {
      const id = arm(await vaultOf(req)).id;
      return {
        value: [
          {
            id: `${id}/privateLinkResources/vault`,
            name: "vault",
            type: "Microsoft.KeyVault/vaults/privateLinkResources",
            properties: {
              groupId: "vault",
              requiredMembers: ["default"],
              requiredZoneNames: ["privatelink.vaultcore.azure.net"],
            },
          },
        ],
      };
    },
  );
  // Kluis has no managed HSMs; az keyvault list and list-deleted ask for them beside vaults.
  const HSM_READ = "Microsoft.KeyVault/managedHSMs/read";
  app.get(`${base}/providers/Microsoft.KeyVault/managedHSMs`, lists(HSM_READ), async () => ({ value: [] }));
  app.get(
    `${base}/resourceGroups/:resourceGroup/providers/Microsoft.KeyVault/managedHSMs`,
    lists(HSM_READ),
    async () => ({ value: [] }),
  );
  app.get(
    `${base}/providers/Microsoft.KeyVault/deletedManagedHSMs`,
    lists("Microsoft.KeyVault/locations/deletedManagedHSMs/read"),
    async () => ({ value: [] }),
  );

  // Deleted vaults live at the subscription (under their location), not in their group: reading them takes a role there.
  const DELETED_READ = "Microsoft.KeyVault/locations/deletedVaults/read";
  const deletedJson = (v: Vault) => toArmDeletedVault(ctx.subscriptionId, v);
  app.get(`${base}/providers/Microsoft.KeyVault/deletedVaults`, lists(DELETED_READ), async (req) => ({
    value: readable(req, (await ctx.store.vaults.list<VaultProperties>(true)).map(deletedJson), (v) => v.id),
  }));
  const deleted = `${base}/providers/Microsoft.KeyVault/locations/:location/deletedVaults/:vaultName`;
  app.get(deleted, performs(DELETED_READ), async (req) =>
    deletedJson(await getDeletedVault(ctx.store, pathParam(req, "vaultName"))),
  );
  app.post(
    `${deleted}/purge`,
    performs("Microsoft.KeyVault/locations/deletedVaults/purge/action"),
    async (req, reply) => {
      await purgeDeletedVault(ctx.store, pathParam(req, "vaultName"));
      return reply.code(200).send();
    },
  );

  app.put(
    `${one}/accessPolicies/:operationKind`,
    performs("Microsoft.KeyVault/vaults/accessPolicies/write"),
    async (req) => {
      const operation = pathParam(req, "operationKind").toLowerCase();
      if (!isAccessPolicyOperation(operation)) throw badParameter("operationKind must be add, replace or remove.");
      const { properties } = jsonBody(req);
      const entries: unknown = isJsonObject(properties) ? properties.accessPolicies : undefined;
      if (!Array.isArray(entries)) throw badParameter("properties.accessPolicies must be an array.");
      const vault = await updateAccessPolicy(ctx.store, (await vaultOf(req)).name, operation, entries);
      return {
        id: `${arm(vault).id}/accessPolicies/${operation}`,
        type: "Microsoft.KeyVault/vaults/accessPolicies",
        properties: { accessPolicies: vault.properties.accessPolicies },
      };
    },
  );
}
