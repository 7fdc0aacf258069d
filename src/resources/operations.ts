// Resource groups (Microsoft.Resources/resourceGroups): what ARM's operations on them do to the store.
import { isJsonObject } from "../http/body.js";
import { badParameter, KeyVaultError } from "../http/errors.js";
import type { ResourceGroupRecord } from "../store/repositories/resource-groups.js";
import type { Store } from "../store/store.js";
import { deleteRoleAssignmentsWithin } from "../authorization/role-assignments.js";
import { getResourceGroup } from "../http/arm.js";
import { deleteVault } from "../vaults/operations.js";
import { resourceGroupId } from "./model.js";

export interface ResourceGroupInput {
  location?: unknown;
  tags?: unknown;
}

// ARM: up to 90 letters, digits, '-', '.', '(', ')' or '_' (Unicode letters and digits too), not ending in '.'.
const GROUP_NAME = /^[-\p{L}\p{N}_.()]{1,90}$/u;

export function checkTags(tags: unknown): Record<string, string> | undefined {
  if (tags === undefined || tags === null) return undefined;
  const entries = isJsonObject(tags) ? Object.entries(tags) : undefined;
  if (!entries?.every((entry): entry is [string, string] => typeof entry[1] === "string"))
    throw badParameter("tags must be an object of strings.");
  return Object.fromEntries(entries);
}

/** PUT: creates the group (201) or replaces its tags (200); its location cannot change. */
export async function createOrUpdateResourceGroup(
  store: Store,
  name: string,
  input: ResourceGroupInput,
): Promise<{ group: ResourceGroupRecord; created: boolean }> {
  if (!GROUP_NAME.test(name) || name.endsWith(".")) {
    throw new KeyVaultError(
      400,
      "InvalidResourceGroup",
      `The provided resource group name '${name}' has invalid characters or length. The name can only be a letter, digit, '-', '.', '(', ')' or '_', at most 90 characters, and cannot end in '.'.`,
    );
  }
  if (typeof input.location !== "string" || input.location === "") {
    throw new KeyVaultError(400, "LocationRequired", "The location property is required for this definition.");
  }
  const location = input.location;
  const tags = checkTags(input.tags);
  return store.transaction(async (tx) => {
    const existing = await tx.resourceGroups.get(name);
    if (existing && existing.location.toLowerCase() !== location.toLowerCase()) {
      throw new KeyVaultError(
        409,
        "InvalidResourceGroupLocation",
        `Invalid resource group location '${location}'. The Resource group already exists in location '${existing.location}'.`,
      );
    }
    const group: ResourceGroupRecord = existing
      ? { ...existing, tags: tags ?? existing.tags }
      : { name, location, tags: tags ?? {}, createdAt: Date.now() };
    await tx.resourceGroups.put(group);
    return { group, created: !existing };
  });
}

/** PATCH: only tags change. */
export async function updateResourceGroup(
  store: Store,
  name: string,
  input: ResourceGroupInput,
): Promise<ResourceGroupRecord> {
  const tags = checkTags(input.tags);
  return store.transaction(async (tx) => {
    const group = await getResourceGroup(tx, name);
    const updated = { ...group, tags: tags ?? group.tags };
    await tx.resourceGroups.put(updated);
    return updated;
  });
}

/**
 * Deleting a group deletes what is in it: its vaults are soft-deleted (recoverable, as in Azure), the role assignments
 * at it or under it go (a new group of that name starts with none), then the group goes.
 */
export async function deleteResourceGroup(store: Store, subscriptionId: string, name: string): Promise<void> {
  const group = await getResourceGroup(store, name);
  const vaults = (await store.vaults.list()).filter((v) => v.resourceGroup.toLowerCase() === group.name.toLowerCase());
  for (const vault of vaults) await deleteVault(store, vault.name);
  await deleteRoleAssignmentsWithin(store, resourceGroupId(subscriptionId, group.name));
  await store.resourceGroups.delete(group.name);
}
