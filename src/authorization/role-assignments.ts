// Role assignments: which principal holds which role (built-in or custom) at which ARM scope. A vault that uses
// role-based access (enableRbacAuthorization) ignores its access policies and asks these instead.
import { randomUUID } from "node:crypto";
import { badParameter, KeyVaultError } from "../http/errors.js";
import type { Caller } from "../identity/tokens.js";
import type { Store } from "../store/store.js";
import type { RequiredPermission } from "./permissions.js";
import { dataActionFor, findRole, roleAllows, type RoleDefinition } from "./roles.js";
import { settingList } from "./setting-list.js";

export interface RoleAssignment {
  name: string;
  scope: string;
  principalId: string;
  roleDefinitionId: string;
}

const stored = settingList<RoleAssignment>("role_assignments");

export const listRoleAssignments = (store: Store): Promise<RoleAssignment[]> => stored.read(store);
const save = (store: Store, assignments: RoleAssignment[]) => stored.write(store, assignments);

/** Refuses an assignment of `role` at `scope` outside the role's assignable scopes (a custom role's choice). */
export function assertAssignable(role: RoleDefinition, scope: string): void {
  if (role.assignableScopes.some((s) => withinScope(scope, s))) return;
  throw new KeyVaultError(
    400,
    "ScopeDoesNotMatchRoleDefinition",
    `The role '${role.roleName}' cannot be assigned at scope '${scope}': its assignable scopes are ${role.assignableScopes.map((s) => `'${s}'`).join(", ")}.`,
  );
}

/** `roles`: every role definition, built-in and custom, that `input.roleDefinitionId` may name. */
export async function createRoleAssignment(
  store: Store,
  roles: readonly RoleDefinition[],
  scope: string,
  name: string | undefined,
  input: { roleDefinitionId?: unknown; principalId?: unknown },
): Promise<RoleAssignment> {
  if (typeof input.principalId !== "string" || input.principalId === "") throw badParameter("properties.principalId is required.");
  const role = typeof input.roleDefinitionId === "string" ? findRole(roles, input.roleDefinitionId) : undefined;
  if (!role) throw new KeyVaultError(400, "RoleDefinitionDoesNotExist", `The specified role definition with ID '${String(input.roleDefinitionId)}' does not exist.`);
  assertAssignable(role, scope);
  const assignments = await listRoleAssignments(store);
  const assignment: RoleAssignment = { name: name ?? randomUUID(), scope, principalId: input.principalId, roleDefinitionId: role.id };
  const clash = assignments.find((a) => a.name === assignment.name);
  if (clash && (clash.principalId !== assignment.principalId || clash.roleDefinitionId !== assignment.roleDefinitionId)) {
    throw new KeyVaultError(409, "RoleAssignmentUpdateNotPermitted", "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.");
  }
  await save(store, [...assignments.filter((a) => a.name !== assignment.name), assignment]);
  return assignment;
}

export async function deleteRoleAssignment(store: Store, name: string): Promise<RoleAssignment | undefined> {
  const assignments = await listRoleAssignments(store);
  const found = assignments.find((a) => a.name === name);
  if (found) await save(store, assignments.filter((a) => a !== found));
  return found;
}

/** True when `resource` is `scope` or lies under it (ARM ids compare case-insensitively; "/", the root, holds all). */
export function withinScope(resource: string, scope: string): boolean {
  const r = resource.toLowerCase();
  const s = scope.toLowerCase().replace(/\/$/, "");
  return r === s || r.startsWith(`${s}/`);
}

/** True when a role (of `roles`) the caller holds at the resource's scope, or above it, grants the permission's data action. */
export function roleGrants(
  assignments: readonly RoleAssignment[],
  roles: readonly RoleDefinition[],
  caller: Caller,
  resourceId: string,
  need: RequiredPermission,
): boolean {
  const action = dataActionFor(need);
  return assignments.some((a) => {
    if (a.principalId !== caller.objectId || !withinScope(resourceId, a.scope)) return false;
    const role = findRole(roles, a.roleDefinitionId);
    return role !== undefined && roleAllows(role, action);
  });
}
