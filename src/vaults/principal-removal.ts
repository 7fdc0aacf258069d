// Deleting a service principal or a user reaches every vault's access policies and the vault cache, so it lives here,
// above identity (which keeps creating, finding and signing in principals and users).
import { accessPolicyChanged } from "../events/model.js";
import { publishEvent } from "../events/publish.js";
import type { TokenService } from "../identity/tokens.js";
import type { PrincipalRecord } from "../store/repositories/principals.js";
import type { UserRecord } from "../store/repositories/users.js";
import type { Store } from "../store/store.js";
import { invalidateVault } from "./cache.js";
import type { VaultProperties } from "./model.js";

/**
 * Deletes a principal and its entries in every vault's access policies (Azure would show them as an unknown
 * identity; nothing could ever match them again). Its tokens stop working with it: a token's principal must exist.
 */
export async function deleteServicePrincipal(
  store: Store,
  tokens: TokenService,
  appId: string,
): Promise<PrincipalRecord | undefined> {
  const deleted = await store.transaction(async (tx) => {
    const principal = await tx.principals.getByAppId(appId);
    if (!principal || !(await tx.principals.delete(appId))) return undefined;
    return { principal, vaults: await dropFromAccessPolicies(tx, principal.objectId) };
  });
  for (const vault of deleted?.vaults ?? []) invalidateVault(store, vault);
  if (deleted) tokens.forgetPrincipal(deleted.principal.objectId);
  return deleted?.principal;
}

/** Deletes a user and its access-policy entries, as a principal is deleted; its tokens and refresh tokens stop working. */
export async function deleteUser(
  store: Store,
  tokens: TokenService,
  objectId: string,
): Promise<UserRecord | undefined> {
  const deleted = await store.transaction(async (tx) => {
    const user = await tx.users.getByObjectId(objectId);
    if (!user || !(await tx.users.delete(objectId))) return undefined;
    return { user, vaults: await dropFromAccessPolicies(tx, objectId) };
  });
  for (const vault of deleted?.vaults ?? []) invalidateVault(store, vault);
  if (deleted) tokens.forgetPrincipal(objectId);
  return deleted?.user;
}

/**
 * Removes a principal's entries from every vault's access policies, soft-deleted vaults included (run it in the
 * transaction that deletes the principal). A live vault's subscribers get VaultAccessPolicyChanged, as for set-policy.
 * Returns the vaults changed, whose cached copies the caller must drop.
 */
async function dropFromAccessPolicies(store: Store, objectId: string): Promise<string[]> {
  const changed: string[] = [];
  for (const deleted of [false, true]) {
    for (const vault of await store.vaults.list<VaultProperties>(deleted)) {
      const policies = vault.properties.accessPolicies.filter((p) => p.objectId !== objectId);
      if (policies.length === vault.properties.accessPolicies.length) continue;
      await store.vaults.put({ ...vault, properties: { ...vault.properties, accessPolicies: policies } });
      if (!deleted) await publishEvent(store, vault.name, () => accessPolicyChanged(vault.name, Date.now()));
      changed.push(vault.name);
    }
  }
  return changed;
}
