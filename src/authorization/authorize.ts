// The authorization step of a data-plane request: access policies, or role-based access when the vault uses it.
import { vaultResourceId } from "../http/arm.js";
import { forbidden } from "../http/errors.js";
import type { RequiredPermission } from "../http/permissions.js";
import type { Caller } from "../identity/tokens.js";
import type { VaultRecord } from "../store/repositories/vaults.js";
import type { Store } from "../store/store.js";
import { assertAllowed, type AccessPolicyEntry } from "./access-policies.js";
import { listRoleDefinitions } from "./custom-roles.js";
import { listRoleAssignments, roleGrants } from "./role-assignments.js";
import { dataActionFor } from "./roles.js";

/** What authorizing reads of a vault (vaults/model.ts's Vault is one). */
type AuthorizedVault = VaultRecord<{ enableRbacAuthorization: boolean; accessPolicies: readonly AccessPolicyEntry[] }>;

/**
 * Authorizes `need` on the vault, or on one object of it when the request names one (`objectName`, of the
 * permission's collection): role assignments scoped to that object then count too, and only for it. Access
 * policies are checked at once (nothing to wait for, on every request); role assignments are read first.
 */
export function authorizeDataPlane(
  ctx: { store: Store; subscriptionId: string },
  vault: AuthorizedVault,
  caller: Caller,
  need: RequiredPermission,
  objectName?: string,
): void | Promise<void> {
  if (!vault.properties.enableRbacAuthorization)
    return assertAllowed(vault.properties.accessPolicies, caller, need, vault);
  return authorizeByRoles(ctx, vault, caller, need, objectName);
}

async function authorizeByRoles(
  ctx: { store: Store; subscriptionId: string },
  vault: AuthorizedVault,
  caller: Caller,
  need: RequiredPermission,
  objectName?: string,
): Promise<void> {
  const vaultId = vaultResourceId(ctx.subscriptionId, vault);
  // An object's id lies under its vault's, so assignments at the vault or above apply to it as well.
  const resource = objectName === undefined ? vaultId : `${vaultId}/${need.collection}/${objectName}`;
  if (roleGrants(await listRoleAssignments(ctx.store), await listRoleDefinitions(ctx.store), caller, resource, need))
    return;
  // Key Vault's RBAC refusal, line for line.
  throw forbidden(
    [
      "Caller is not authorized to perform action on resource.",
      "If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.",
      `Caller: appid=${caller.appId};oid=${caller.objectId};iss=https://sts.windows.net/${caller.tenantId}/`,
      `Action: '${dataActionFor(need)}'`,
      `Resource: '${resource.toLowerCase()}'`,
      "Assignment: (not found)",
      "DecisionReason: 'DeniedWithNoValidRBAC' ",
      `Vault: ${vault.name};location=${vault.location}`,
      "",
    ].join("\r\n"),
    "ForbiddenByRbac",
  );
}
