// Role assignments: which principal holds which built-in role at which ARM scope. A vault that uses role-based
// access (enableRbacAuthorization) ignores its access policies and asks these instead.
import { randomUUID } from "node:crypto";
import { badParameter, KeyVaultError } from "../http/errors.js";
import type { Caller } from "../identity/tokens.js";
import type { Store } from "../store/store.js";
import type { RequiredPermission } from "./permissions.js";
import { dataActionFor, findRole, roleAllows } from "./roles.js";

export interface RoleAssignment {
  name: string;
  scope: string;
  principalId: string;
  roleDefinitionId: string;
}

const SETTING = "role_assignments";
/** Several nodes share one database: a short-lived copy keeps the hot path off the store without going stale for long. */
const CACHE_MS = 1000;
let cache: { at: number; store: Store; assignments: RoleAssignment[] } | undefined;

export async function listRoleAssignments(store: Store): Promise<RoleAssignment[]> {
  if (cache && cache.store === store && Date.now() - cache.at < CACHE_MS) return cache.assignments;
  const assignments = JSON.parse((await store.getSetting(SETTING)) ?? "[]") as RoleAssignment[];
  cache = { at: Date.now(), store, assignments };
  return assignments;
}

async function save(store: Store, assignments: RoleAssignment[]): Promise<void> {
  await store.putSetting(SETTING, JSON.stringify(assignments));
  cache = undefined;
}

export async function createRoleAssignment(
  store: Store,
  scope: string,
  name: string | undefined,
  input: { roleDefinitionId?: unknown; principalId?: unknown },
): Promise<RoleAssignment> {
  if (typeof input.principalId !== "string" || input.principalId === "") throw badParameter("properties.principalId is required.");
  const role = typeof input.roleDefinitionId === "string" ? findRole(input.roleDefinitionId) : undefined;
  if (!role) throw new KeyVaultError(400, "RoleDefinitionDoesNotExist", `The specified role definition with ID '${String(input.roleDefinitionId)}' does not exist.`);
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

/** True when `resource` is `scope` or lies under it (ARM ids compare case-insensitively). */
export function withinScope(resource: string, scope: string): boolean {
  const r = resource.toLowerCase();
  const s = scope.toLowerCase();
  return r === s || r.startsWith(`${s}/`);
}

/** True when a role the caller holds at the resource's scope, or above it, grants the permission's data action. */
export function roleGrants(assignments: readonly RoleAssignment[], caller: Caller, resourceId: string, need: RequiredPermission): boolean {
  const action = dataActionFor(need);
  return assignments.some((a) => {
    if (a.principalId !== caller.objectId || !withinScope(resourceId, a.scope)) return false;
    const role = findRole(a.roleDefinitionId);
    return role !== undefined && roleAllows(role, action);
  });
}
