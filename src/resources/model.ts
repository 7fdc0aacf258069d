// The ARM JSON of Microsoft.Resources: subscriptions, tenants, resource groups and generic resources.
import type { ResourceGroupRecord } from "../store/repositories/resource-groups.js";

export function toArmSubscription(subscriptionId: string, tenantId: string) {
  return {
    id: `/subscriptions/${subscriptionId}`,
    subscriptionId,
    tenantId,
    displayName: "Kluis",
    state: "Enabled",
    subscriptionPolicies: {
      locationPlacementId: "Public_2014-09-01",
      quotaId: "PayAsYouGo_2014-09-01",
      spendingLimit: "Off",
    },
    authorizationSource: "RoleBased",
    managedByTenants: [],
  };
}

export function toArmTenant(tenantId: string) {
  return {
    id: `/tenants/${tenantId}`,
    tenantId,
    tenantCategory: "Home",
    displayName: "Kluis",
    domains: [],
    tenantType: "AAD",
  };
}

export function resourceGroupId(subscriptionId: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${name}`;
}

export function toArmResourceGroup(subscriptionId: string, group: ResourceGroupRecord) {
  return {
    id: resourceGroupId(subscriptionId, group.name),
    name: group.name,
    type: "Microsoft.Resources/resourceGroups",
    location: group.location,
    tags: group.tags,
    properties: { provisioningState: "Succeeded" },
  };
}
