// Custom roles, as Azure RBAC lets an administrator write them: a name, Key Vault data actions minus exclusions, and
// the scopes the role may be assigned at. Kept beside the built-in roles and evaluated like them.
import { isJsonObject } from "../http/body.js";
import { badParameter, KeyVaultError } from "../http/errors.js";
import { isGuid } from "../http/guid.js";
import type { Store } from "../store/store.js";
import { cachedList } from "./cached-list.js";
import { assertAssignable } from "./role-assignments.js";
import { isKnownDataAction, ROLE_DEFINITIONS, type RoleDefinition, type RolePermission } from "./roles.js";

const cached = cachedList((store) => store.roleAssignments.listDefinitions<RoleDefinition>());

/** The built-in roles, then the custom ones (through a copy at most a second old). */
export async function listRoleDefinitions(store: Store): Promise<RoleDefinition[]> {
  return [...ROLE_DEFINITIONS, ...(await cached.read(store))];
}

/** The same, read now: what a write transaction decides on, and what ARM's reads answer. */
export async function currentRoleDefinitions(store: Store): Promise<RoleDefinition[]> {
  return [...ROLE_DEFINITIONS, ...(await store.roleAssignments.listDefinitions<RoleDefinition>())];
}

const nameTaken = (roleName: string) =>
  new KeyVaultError(
    409,
    "RoleDefinitionWithSameNameExists",
    `A role definition cannot be updated with a name that already exists: '${roleName}'.`,
  );

/** A subscription, a resource group or a vault: where Kluis lets a custom role be assigned. */
const ASSIGNABLE_SCOPE =
  /^\/subscriptions\/([^/]+)(\/resourceGroups\/[^/]+(\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+)?)?$/i;

const builtInRefusal = (role: RoleDefinition) =>
  new KeyVaultError(
    403,
    "AuthorizationFailed",
    `'${role.roleName}' is a built-in role: it cannot be changed or deleted. Create a custom role instead.`,
  );

function stringList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === "string"))
    throw badParameter(`${field} must be an array of strings.`);
  return value;
}

function parsePermission(value: unknown, index: number): RolePermission {
  if (!isJsonObject(value)) throw badParameter(`properties.permissions[${index}] must be an object.`);
  const p = value;
  const field = (name: keyof RolePermission) => stringList(p[name], `properties.permissions[${index}].${name}`);
  const permission = {
    actions: field("actions"),
    notActions: field("notActions"),
    dataActions: field("dataActions"),
    notDataActions: field("notDataActions"),
  };
  // Azure refuses data actions no provider publishes; here the provider is Key Vault, as far as Kluis serves it.
  const unknown = [...permission.dataActions, ...permission.notDataActions].find((a) => !isKnownDataAction(a));
  if (unknown !== undefined) {
    throw new KeyVaultError(
      400,
      "InvalidDataActionOrNotDataAction",
      `'${unknown}' does not match any of the Key Vault data actions supported by this server.`,
    );
  }
  return permission;
}

function checkAssignableScope(scope: string, subscriptionId: string): void {
  const match = ASSIGNABLE_SCOPE.exec(scope);
  if (match && match[1]!.toLowerCase() === subscriptionId.toLowerCase()) return;
  throw new KeyVaultError(
    400,
    "InvalidAssignableScope",
    `The assignable scope '${scope}' is not valid: a custom role is assignable at this server's subscription '/subscriptions/${subscriptionId}', at a resource group in it, or at a vault.`,
  );
}

// Azure's limits on a custom role's texts (they also keep the name within what PostgreSQL can index).
const MAX_ROLE_NAME = 512;
const MAX_DESCRIPTION = 2048;

/** The role an ARM PUT body describes, checked as Azure checks it (400 in ARM's shape otherwise). */
function parseCustomRole(id: string, input: Record<string, unknown>, subscriptionId: string): RoleDefinition {
  const p = isJsonObject(input.properties) ? input.properties : {};
  if (typeof p.roleName !== "string" || p.roleName.trim() === "")
    throw badParameter("properties.roleName is required.");
  if (p.roleName.trim().length > MAX_ROLE_NAME)
    throw badParameter(`properties.roleName may be at most ${MAX_ROLE_NAME} characters long.`);
  if (p.description !== undefined && p.description !== null && typeof p.description !== "string")
    throw badParameter("properties.description must be a string.");
  if ((p.description?.length ?? 0) > MAX_DESCRIPTION)
    throw badParameter(`properties.description may be at most ${MAX_DESCRIPTION} characters long.`);
  if (!Array.isArray(p.permissions) || p.permissions.length === 0)
    throw badParameter("properties.permissions must be a non-empty array.");
  const assignableScopes = stringList(p.assignableScopes, "properties.assignableScopes");
  if (assignableScopes.length === 0)
    throw new KeyVaultError(400, "InvalidAssignableScope", "properties.assignableScopes must name at least one scope.");
  for (const scope of assignableScopes) checkAssignableScope(scope, subscriptionId);
  return {
    id,
    roleName: p.roleName.trim(),
    description: p.description ?? "",
    roleType: "CustomRole",
    permissions: p.permissions.map(parsePermission),
    assignableScopes,
  };
}

/**
 * Who may write a custom role: as in Azure, the caller needs the write (or delete) action at every scope the role is
 * assignable at, before and after the change, so that a role used at the subscription is not rewritten from below.
 */
export type AssignableScopesCheck = (scopes: readonly string[]) => void;

/** Creates or replaces the custom role `roleDefinitionId` (a GUID). */
export async function putCustomRole(
  store: Store,
  subscriptionId: string,
  roleDefinitionId: string,
  input: Record<string, unknown>,
  mayWriteAt: AssignableScopesCheck,
): Promise<RoleDefinition> {
  const id = roleDefinitionId.toLowerCase();
  if (!isGuid(id))
    throw new KeyVaultError(
      400,
      "InvalidRoleDefinitionId",
      `The role definition ID '${roleDefinitionId}' is not valid. The role definition ID must be a GUID.`,
    );
  const builtIn = ROLE_DEFINITIONS.find((r) => r.id === id);
  if (builtIn) throw builtInRefusal(builtIn);
  const role = parseCustomRole(id, input, subscriptionId);
  if (ROLE_DEFINITIONS.some((r) => r.roleName.toLowerCase() === role.roleName.toLowerCase()))
    throw nameTaken(role.roleName);
  try {
    await store.transaction(async (tx) => {
      // Locked, the role's assignments cannot change under the check below (createRoleAssignment locks it too).
      if (await tx.roleAssignments.lockDefinition(id)) {
        mayWriteAt(
          (await tx.roleAssignments.listDefinitions<RoleDefinition>()).find((r) => r.id === id)!.assignableScopes,
        );
      }
      mayWriteAt(role.assignableScopes);
      // A changed role keeps the assignments it has: each must stay within its new assignable scopes.
      for (const a of await tx.roleAssignments.list()) if (a.roleDefinitionId === id) assertAssignable(role, a.scope);
      if (!(await tx.roleAssignments.putDefinition(role))) throw nameTaken(role.roleName);
    });
  } catch (err) {
    // Another node took the name between this one's check and its write: the unique index refused the row.
    if (
      !(err instanceof KeyVaultError) &&
      (await currentRoleDefinitions(store)).some(
        (r) => r.id !== id && r.roleName.toLowerCase() === role.roleName.toLowerCase(),
      )
    ) {
      throw nameTaken(role.roleName);
    }
    throw err;
  } finally {
    cached.invalidate();
  }
  return role;
}

/** Deletes a custom role no assignment uses; undefined when there is none by that id. */
export async function deleteCustomRole(
  store: Store,
  roleDefinitionId: string,
  mayDeleteAt: AssignableScopesCheck,
): Promise<RoleDefinition | undefined> {
  const id = roleDefinitionId.toLowerCase();
  const builtIn = ROLE_DEFINITIONS.find((r) => r.id === id);
  if (builtIn) throw builtInRefusal(builtIn);
  const found = await store.transaction(async (tx) => {
    if (!(await tx.roleAssignments.lockDefinition(id))) return undefined;
    const role = (await tx.roleAssignments.listDefinitions<RoleDefinition>()).find((r) => r.id === id)!;
    mayDeleteAt(role.assignableScopes);
    const used = (await tx.roleAssignments.list()).filter((a) => a.roleDefinitionId === id).length;
    if (used > 0) {
      throw new KeyVaultError(
        409,
        "RoleDefinitionHasAssignments",
        `There are existing role assignments referencing role '${role.roleName}' (${used}): delete them before the role.`,
      );
    }
    await tx.roleAssignments.deleteDefinition(id);
    return role;
  });
  cached.invalidate();
  return found;
}
