// What every ARM route shares: the server serves one subscription (any other id is ARM's 404), resource groups hold
// the resources, and resource ids name them.
import type { FastifyRequest } from "fastify";
import type { ResourceGroupRecord } from "../store/repositories/resource-groups.js";
import type { Store } from "../store/store.js";
import { KeyVaultError } from "./errors.js";
import { isJsonObject } from "./body.js";

/** A preHandler hook for routes under /subscriptions/:subscriptionId. */
export function requireSubscription(subscriptionId: string) {
  return async (req: FastifyRequest) => {
    const params: unknown = req.params;
    const given = isJsonObject(params) ? params.subscriptionId : undefined;
    if (typeof given === "string" && given.toLowerCase() !== subscriptionId.toLowerCase()) {
      throw new KeyVaultError(404, "SubscriptionNotFound", `The subscription '${given}' could not be found.`);
    }
  };
}

const resourceGroupNotFound = (name: string) =>
  new KeyVaultError(404, "ResourceGroupNotFound", `Resource group '${name}' could not be found.`);

/** The resource group a route names, or ARM's 404. */
export async function getResourceGroup(store: Store, name: string): Promise<ResourceGroupRecord> {
  const group = await store.resourceGroups.get(name);
  if (!group) throw resourceGroupNotFound(name);
  return group;
}

/** A vault's ARM resource id: what role assignments are scoped to. */
export function vaultResourceId(subscriptionId: string, vault: { resourceGroup: string; name: string }): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${vault.resourceGroup}/providers/Microsoft.KeyVault/vaults/${vault.name}`;
}
