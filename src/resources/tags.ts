// ARM's Tags API at a scope (`az tag list|create|update|delete --resource-id`): the tags of a resource group or of a
// vault, at `{scope}/providers/Microsoft.Resources/tags/default`. A change reads and writes the tags in one
// transaction with the row locked, so that two merges on two nodes both land.
import { isJsonObject } from "../http/body.js";
import { getResourceGroup, getVaultInGroup } from "../http/arm.js";
import { badParameter } from "../http/errors.js";
import type { Store } from "../store/store.js";
import { invalidateVault } from "../vaults/cache.js";
import { checkTags } from "./operations.js";

type Tags = Record<string, string>;

/** A resource group, or a vault in it. */
export interface TagScope {
  group: string;
  vault?: string;
}

/** How UpdateAtScope combines the given tags with the stored ones. */
const UPDATES: Record<string, (stored: Tags, given: Tags) => Tags> = {
  Merge: (stored, given) => ({ ...stored, ...given }),
  Replace: (_stored, given) => given,
  // A name given with an empty value, or with the value it has, goes.
  Delete: (stored, given) =>
    Object.fromEntries(
      Object.entries(stored).filter(([k, v]) => !(Object.hasOwn(given, k) && (given[k] === "" || given[k] === v))),
    ),
};

/** The tags' path under their scope's id. */
export const TAGS_PATH = "providers/Microsoft.Resources/tags/default";

export const toArmTags = (scopeId: string, tags: Tags) => ({
  id: `${scopeId}/${TAGS_PATH}`,
  name: "default",
  type: "Microsoft.Resources/tags",
  properties: { tags },
});

/** The tags the body's `properties.tags` gives (an object of strings). */
function givenTags(body: Record<string, unknown>): Tags {
  const tags = checkTags(isJsonObject(body.properties) ? body.properties.tags : undefined);
  if (!tags) throw badParameter("properties.tags must be an object of strings.");
  return tags;
}

/** GetAtScope. */
export async function getTagsAtScope(store: Store, scope: TagScope): Promise<Tags> {
  const group = await getResourceGroup(store, scope.group); // ARM answers for a missing group before the vault
  return scope.vault === undefined ? group.tags : (await getVaultInGroup(store, group.name, scope.vault)).tags;
}

/** CreateOrUpdateAtScope (PUT: the tags given replace them all) and UpdateAtScope (PATCH: `operation`). */
export async function setTagsAtScope(
  store: Store,
  scope: TagScope,
  body: Record<string, unknown>,
  patch: boolean,
): Promise<Tags> {
  const given = givenTags(body);
  const operation = patch ? body.operation : "Replace";
  if (typeof operation !== "string" || !Object.hasOwn(UPDATES, operation))
    throw badParameter("operation must be Merge, Replace or Delete.");
  return changeTags(store, scope, (stored) => UPDATES[operation]!(stored, given));
}

/** DeleteAtScope: the scope keeps no tag. */
export const deleteTagsAtScope = (store: Store, scope: TagScope) => changeTags(store, scope, () => ({}));

async function changeTags(store: Store, scope: TagScope, change: (stored: Tags) => Tags): Promise<Tags> {
  const tags = await store.transaction(async (tx) => {
    if (scope.vault === undefined) {
      await tx.resourceGroups.lock(scope.group);
      const group = await getResourceGroup(tx, scope.group);
      const tags = change(group.tags);
      await tx.resourceGroups.put({ ...group, tags });
      return tags;
    }
    await tx.vaults.lock(scope.vault.toLowerCase());
    const vault = await getVaultInGroup(tx, (await getResourceGroup(tx, scope.group)).name, scope.vault);
    const tags = change(vault.tags);
    await tx.vaults.put({ ...vault, tags });
    return tags;
  });
  if (scope.vault !== undefined) invalidateVault(store, scope.vault);
  return tags;
}
