// Role assignments: which principal holds which role (built-in or custom) at which ARM scope. A vault that uses
// role-based access (enableRbacAuthorization) ignores its access policies and asks these instead.
import { KeyVaultError } from "../http/errors.js";
import { isGuid, parseGuid } from "../http/guid.js";
import type { Caller } from "../identity/tokens.js";
import {
  PRINCIPAL_TYPES,
  type PrincipalType,
  type RoleAssignmentRecord,
} from "../store/repositories/role-assignments.js";
import type { Store } from "../store/store.js";
import { cachedList } from "./cached-list.js";
import type { RequiredPermission } from "../http/permissions.js";
import { dataActionFor, findRole, roleAllows, roleAllowsAction, type RoleDefinition } from "./roles.js";

export type RoleAssignment = RoleAssignmentRecord;

const cached = cachedList((store) => store.roleAssignments.list());

/**
 * Every assignment, through a copy at most a second old (this node's own writes are seen at once): what authorization
 * decides on, as Azure's RBAC takes a while to apply a change.
 */
export const listRoleAssignments = (store: Store): Promise<RoleAssignment[]> => cached.read(store);

/** The same, read now: what ARM's reads answer, so that a change made on any node is listed at once. */
export const currentRoleAssignments = (store: Store): Promise<RoleAssignment[]> => store.roleAssignments.list();

/** Refuses an assignment of `role` at `scope` outside the role's assignable scopes (a custom role's choice). */
export function assertAssignable(role: RoleDefinition, scope: string): void {
  if (role.assignableScopes.some((s) => withinScope(scope, s))) return;
  throw new KeyVaultError(
    400,
    "ScopeDoesNotMatchRoleDefinition",
    `The role '${role.roleName}' cannot be assigned at scope '${scope}': its assignable scopes are ${role.assignableScopes.map((s) => `'${s}'`).join(", ")}.`,
  );
}

/** Azure's 400 for an assignment name that is no GUID (on a read or a delete too). */
export function checkAssignmentName(name: string): void {
  if (!isGuid(name))
    throw new KeyVaultError(
      400,
      "InvalidRoleAssignmentId",
      `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`,
    );
}

/**
 * An assignment's principal: an object id, which is a GUID (Azure refuses any other text; it reads the spellings .NET
 * does), kept as the directory spells it.
 */
function checkedPrincipalId(principalId: unknown): string {
  if (typeof principalId !== "string" || principalId === "")
    throw new KeyVaultError(400, "InvalidPrincipalId", "A valid principal ID must be provided for role assignment.");
  const id = parseGuid(principalId);
  if (id) return id;
  throw new KeyVaultError(
    400,
    "InvalidPrincipalId",
    `The Principal ID '${principalId}' is not valid. Principal ID must be a GUID.`,
  );
}

/** The principal type a request names (ARM's enum, in any case), undefined when it names none. */
function namedPrincipalType(named: unknown): PrincipalType | undefined {
  if (named === undefined || named === null) return undefined;
  const type = PRINCIPAL_TYPES.find((t) => typeof named === "string" && t.toLowerCase() === named.toLowerCase());
  if (type) return type;
  throw new KeyVaultError(
    400,
    "InvalidRequestContent",
    `The request content was invalid and could not be deserialized: properties.principalType must be one of ${PRINCIPAL_TYPES.join(", ")}.`,
  );
}

/**
 * What the principal is, as Azure settles it: a named type must be what the directory holds the principal as;
 * unnamed, the directory must hold it. A named type also lets one assign a principal the directory does not hold
 * (yet), as Azure allows for its replication delay.
 */
async function principalTypeOf(
  store: Store,
  tenantId: string,
  principalId: string,
  named: PrincipalType | undefined,
): Promise<PrincipalType> {
  const held: PrincipalType | undefined = (await store.users.getByObjectId(principalId))
    ? "User"
    : (await store.principals.getByObjectId(principalId))
      ? "ServicePrincipal"
      : undefined;
  if (named && held && named !== held)
    throw new KeyVaultError(
      400,
      "UnmatchedPrincipalType",
      `The PrincipalId '${principalId}' has type '${held}' , which is different from specified PrincipalType '${named}'.`,
    );
  const type = named ?? held;
  if (type) return type;
  throw new KeyVaultError(
    400,
    "PrincipalNotFound",
    `Principal ${principalId.replaceAll("-", "")} does not exist in the directory ${tenantId}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype`,
  );
}

/**
 * Creates the assignment in one transaction: a custom role's row is locked first, so that the role cannot change or go
 * while it is assigned; the assignment is one row, so concurrent creates on several nodes all land. Creating the same
 * assignment again answers it; the same name for another principal or role is ARM's 409.
 * `listRoles` reads every role definition, built-in and custom, that `input.roleDefinitionId` may name.
 */
export async function createRoleAssignment(
  store: Store,
  listRoles: (store: Store) => Promise<RoleDefinition[]>,
  scope: string,
  name: string,
  input: { roleDefinitionId?: unknown; principalId?: unknown; principalType?: unknown },
  tenantId: string,
): Promise<RoleAssignment> {
  const principalId = checkedPrincipalId(input.principalId);
  const named = namedPrincipalType(input.principalType);
  const missing = () =>
    new KeyVaultError(
      400,
      "RoleDefinitionDoesNotExist",
      `The specified role definition with ID '${String(input.roleDefinitionId)}' does not exist.`,
    );
  if (typeof input.roleDefinitionId !== "string") throw missing();
  const roleId = input.roleDefinitionId;
  const assignment = await store.transaction(async (tx) => {
    let role = findRole(await listRoles(tx), roleId);
    if (role?.roleType === "CustomRole") {
      // Read the role again once it is locked: what it is now, not what it was before another node's change.
      role = (await tx.roleAssignments.lockDefinition(role.id)) ? findRole(await listRoles(tx), role.id) : undefined;
    }
    if (!role) throw missing();
    assertAssignable(role, scope);
    const principalType = await principalTypeOf(tx, tenantId, principalId, named);
    const wanted: RoleAssignment = { name, scope, principalId, principalType, roleDefinitionId: role.id };
    if (await tx.roleAssignments.insert(wanted)) return wanted;
    const existing = (await tx.roleAssignments.list()).find((a) => a.name === wanted.name);
    if (
      existing &&
      existing.principalId === wanted.principalId &&
      existing.roleDefinitionId === wanted.roleDefinitionId &&
      existing.scope.toLowerCase() === scope.toLowerCase()
    ) {
      return existing;
    }
    throw new KeyVaultError(
      409,
      "RoleAssignmentUpdateNotPermitted",
      "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
    );
  });
  cached.invalidate();
  return assignment;
}

export async function deleteRoleAssignment(store: Store, name: string): Promise<RoleAssignment | undefined> {
  const found = await store.transaction(async (tx) => {
    const existing = (await tx.roleAssignments.list()).find((a) => a.name === name);
    return existing && (await tx.roleAssignments.delete(name)) ? existing : undefined;
  });
  cached.invalidate();
  return found;
}

/**
 * Deletes the assignments at `scope` or under it: a deleted resource group or purged vault takes its assignments with
 * it, so that a new one of the same name starts with none.
 */
export async function deleteRoleAssignmentsWithin(store: Store, scope: string): Promise<void> {
  await deleteRoleAssignmentsWhere(store, (a) => withinScope(a.scope, scope));
}

/** The same for a purged vault, known by its name alone (vault names are global; its group may be gone). */
export async function deleteRoleAssignmentsOfVault(store: Store, vaultName: string): Promise<void> {
  const marker = `/providers/microsoft.keyvault/vaults/${vaultName.toLowerCase()}`;
  await deleteRoleAssignmentsWhere(store, (a) => {
    const scope = a.scope.toLowerCase();
    return scope.endsWith(marker) || scope.includes(`${marker}/`);
  });
}

async function deleteRoleAssignmentsWhere(store: Store, doomed: (a: RoleAssignment) => boolean): Promise<void> {
  await store.transaction(async (tx) => {
    for (const a of await tx.roleAssignments.list()) if (doomed(a)) await tx.roleAssignments.delete(a.name);
  });
  cached.invalidate();
}

/** True when `resource` is `scope` or lies under it (ARM ids compare case-insensitively; "/", the root, holds all). */
export function withinScope(resource: string, scope: string): boolean {
  const r = resource.toLowerCase();
  const s = scope.toLowerCase().replace(/\/$/, "");
  return r === s || r.startsWith(`${s}/`);
}

/** True when a role (of `roles`) the principal holds at `scope`, or above it, grants the management action. */
export function roleGrantsAction(
  assignments: readonly RoleAssignment[],
  roles: readonly RoleDefinition[],
  principalId: string,
  scope: string,
  action: string,
): boolean {
  return assignments.some((a) => {
    if (a.principalId !== principalId || !withinScope(scope, a.scope)) return false;
    const role = findRole(roles, a.roleDefinitionId);
    return role !== undefined && roleAllowsAction(role, action);
  });
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
