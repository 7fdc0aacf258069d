// Vault access policies: who may do what with a vault's certificates, keys and secrets.
import { forbidden } from "../http/errors.js";
import type { Caller } from "../identity/tokens.js";
import type { Collection, RequiredPermission } from "../http/permissions.js";

export interface AccessPolicyEntry {
  tenantId: string;
  objectId: string;
  applicationId?: string;
  permissions: Partial<Record<Collection, string[]>>;
}

export function isAllowed(policies: readonly AccessPolicyEntry[], caller: Caller, need: RequiredPermission): boolean {
  return policies.some(
    (p) =>
      p.objectId === caller.objectId &&
      (p.permissions[need.collection] ?? []).some((perm) => {
        const lower = perm.toLowerCase();
        return lower === need.permission || lower === need.orPermission || lower === "all";
      }),
  );
}

/** 403 in Key Vault's words, naming the caller, the missing permission and the vault. */
export function assertAllowed(
  policies: readonly AccessPolicyEntry[],
  caller: Caller,
  need: RequiredPermission,
  vault: { name: string; location: string },
): void {
  if (isAllowed(policies, caller, need)) return;
  throw forbidden(
    `The user, group or application 'appid=${caller.appId};oid=${caller.objectId};iss=https://sts.windows.net/${caller.tenantId}/' ` +
      `does not have ${need.collection} ${need.permission} permission on key vault '${vault.name};location=${vault.location}'. ` +
      "For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
    "AccessDenied",
  );
}

/** Adds permissions to a principal's entry (creating it), as `az keyvault set-policy` does. */
export function mergePolicy(policies: AccessPolicyEntry[], entry: AccessPolicyEntry): AccessPolicyEntry[] {
  const existing = policies.find((p) => p.objectId === entry.objectId);
  if (!existing) return [...policies, entry];
  const merged: AccessPolicyEntry = { ...existing, permissions: { ...existing.permissions } };
  for (const [collection, perms] of Object.entries(entry.permissions) as [Collection, string[]][]) {
    merged.permissions[collection] = [...new Set([...(existing.permissions[collection] ?? []), ...perms])];
  }
  return policies.map((p) => (p === existing ? merged : p));
}
