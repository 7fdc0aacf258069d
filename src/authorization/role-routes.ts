// ARM's Microsoft.Authorization API for Key Vault roles: role definitions (built-in, and custom ones at the
// subscription, resource-group or vault scope) and role assignments at the subscription, resource-group, vault or
// single-object scope. Each route needs its Microsoft.Authorization action at its scope (management.ts).
import type { FastifyInstance, FastifyRequest } from "fastify";
import { isJsonObject, jsonBody } from "../http/body.js";
import { KeyVaultError } from "../http/errors.js";
import { checkObjectName } from "../http/object-names.js";
import type { ServerContext } from "../identity/context.js";
import { currentRoleDefinitions, deleteCustomRole, putCustomRole } from "./custom-roles.js";
import { authorizationFailed, lists, managementPipeline, performs, readable } from "./management.js";
import {
  checkAssignmentName,
  createRoleAssignment,
  currentRoleAssignments,
  deleteRoleAssignment,
  withinScope,
  type RoleAssignment,
} from "./role-assignments.js";
import type { RoleDefinition } from "./roles.js";
import { queryOf, urlPath } from "../http/route.js";

const AUTH = "providers/Microsoft.Authorization";
/** The subscription, a resource group, a vault: where role definitions are served. */
const DEFINITION_SCOPES = [
  "/subscriptions/:subscriptionId",
  "/subscriptions/:subscriptionId/resourceGroups/:resourceGroup",
  "/subscriptions/:subscriptionId/resourceGroups/:resourceGroup/providers/Microsoft.KeyVault/vaults/:vaultName",
];
/** Where role assignments are served: those scopes, and one object of a vault. */
const SCOPES = [
  ...DEFINITION_SCOPES,
  // One object of a vault: its kind is a parameter so that an unknown one is ARM's 400, not a missing route.
  "/subscriptions/:subscriptionId/resourceGroups/:resourceGroup/providers/Microsoft.KeyVault/vaults/:vaultName/:objectKind/:objectName",
];

/** The objects of a vault that Azure lets a role assignment be scoped to. */
const OBJECT_KINDS = ["secrets", "keys", "certificates"];

/** A role assignment's path parameters; the object ones on its object scopes only. */
type AssignmentParams = { assignmentName: string; objectKind?: string; objectName?: string };

/** Refuses a scope inside a vault unless it names a secret, key or certificate by a name Key Vault accepts. */
function checkObjectScope(params: { objectKind?: string; objectName?: string }): void {
  if (params.objectKind === undefined || params.objectName === undefined) return;
  const kind = params.objectKind.toLowerCase();
  if (!OBJECT_KINDS.includes(kind)) {
    throw new KeyVaultError(
      400,
      "InvalidResourceType",
      `The resource type 'vaults/${params.objectKind}' could not be found in the namespace 'Microsoft.KeyVault'. A role assignment inside a vault is scoped to one of its ${OBJECT_KINDS.join(", ")}.`,
    );
  }
  checkObjectName(params.objectName, kind.slice(0, -1));
}

const FILTER_CLAUSE = /^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$/i;
const ASSIGNED_TO = /^\s*assignedTo\('((?:[^']|'')*)'\)\s*$/i;
const AT_SCOPE = /^\s*atScope\(\)\s*$/i;

/**
 * The `$filter` clauses az sends on these listings, over `fields`, joined by `and`: `roleName eq 'Owner'`,
 * `principalId eq '…'`, `assignedTo('…')` (the same, Kluis having no groups) and `atScope()` (nothing under the scope).
 */
function parseListFilter(
  req: FastifyRequest,
  fields: string[],
): { atScope: boolean; clauses: { field: string; value: string }[] } {
  const filter = queryOf(req).$filter;
  if (filter === undefined || filter === "") return { atScope: false, clauses: [] };
  if (typeof filter !== "string")
    throw new KeyVaultError(400, "InvalidFilterInQueryString", "$filter must be given once.");
  const known = new Map(fields.map((f) => [f.toLowerCase(), f]));
  const parts = filter.split(/\s+and\s+/i);
  const atScope = parts.some((p) => AT_SCOPE.test(p));
  const clauses = parts
    .filter((p) => !AT_SCOPE.test(p))
    .map((clause) => {
      const assigned = known.has("principalid") ? ASSIGNED_TO.exec(clause) : null;
      const m = assigned ? [clause, "principalId", assigned[1]!] : FILTER_CLAUSE.exec(clause);
      if (!m || !known.has(m[1]!.toLowerCase())) {
        throw new KeyVaultError(
          400,
          "InvalidFilterInQueryString",
          `Invalid $filter '${filter}' specified in the query string. Supported: ${fields.join(", ")} with 'eq', joined by 'and'.`,
        );
      }
      return { field: m[1]!.toLowerCase(), value: m[2]!.replace(/''/g, "'").toLowerCase() };
    });
  return { atScope, clauses };
}

export async function roleRoutes(app: FastifyInstance, ctx: ServerContext) {
  managementPipeline(app, ctx);

  const definitionId = (r: RoleDefinition) => `/subscriptions/${ctx.subscriptionId}/${AUTH}/roleDefinitions/${r.id}`;
  const definitionJson = (r: RoleDefinition) => ({
    id: definitionId(r),
    name: r.id,
    type: "Microsoft.Authorization/roleDefinitions",
    properties: {
      roleName: r.roleName,
      description: r.description,
      type: r.roleType,
      permissions: r.permissions,
      assignableScopes: r.assignableScopes,
    },
  });
  const assignmentJson = (a: RoleAssignment) => ({
    id: `${a.scope}/${AUTH}/roleAssignments/${a.name}`,
    name: a.name,
    type: "Microsoft.Authorization/roleAssignments",
    properties: {
      roleDefinitionId: `/subscriptions/${ctx.subscriptionId}/${AUTH}/roleDefinitions/${a.roleDefinitionId}`,
      principalId: a.principalId,
      principalType: a.principalType,
      scope: a.scope,
    },
  });
  /** Refuses unless the caller may perform the route's action at each of the scopes. */
  const mayAt = (req: FastifyRequest) => (scopes: readonly string[]) => {
    const action = req.routeOptions.config.action!;
    const denied = scopes.find((scope) => !req.management!.can(action, scope));
    if (denied !== undefined) throw authorizationFailed(req.management!.caller, action, denied);
  };
  /** The scope a request names: its path up to /providers/Microsoft.Authorization. */
  const scopeOf = (req: FastifyRequest) => {
    const path = urlPath(req.url);
    const providers = path.indexOf(`/${AUTH}/`);
    return providers < 0 ? path : path.slice(0, providers);
  };
  /** The assignment of that name made at this very scope: an id names its scope, and another scope's is not this one's to read or delete. */
  const assignmentHere = async (req: FastifyRequest<{ Params: AssignmentParams }>) => {
    const name = req.params.assignmentName;
    const here = scopeOf(req).toLowerCase();
    const found = (await currentRoleAssignments(ctx.store)).find(
      (a) => a.name === name && a.scope.toLowerCase() === here,
    );
    // A name that is no GUID is Azure's 400, unless a store written before Kluis checked names holds it: that one can
    // still be read and deleted.
    if (!found) checkAssignmentName(name);
    return found;
  };

  // az creates a custom role at its first assignable scope. A custom role is listed at, under and above the scopes
  // it is assignable at, so that the subscription lists them all.
  for (const scope of DEFINITION_SCOPES) {
    app.get(
      `${scope}/${AUTH}/roleDefinitions`,
      performs("Microsoft.Authorization/roleDefinitions/read"),
      async (req) => {
        const here = scopeOf(req);
        const filter = parseListFilter(req, ["roleName", "type"]);
        const roles = (await currentRoleDefinitions(ctx.store))
          .filter((r) => r.assignableScopes.some((s) => withinScope(here, s) || withinScope(s, here)))
          .filter((r) =>
            filter.clauses.every(
              ({ field, value }) => (field === "rolename" ? r.roleName : r.roleType).toLowerCase() === value,
            ),
          );
        return { value: roles.map(definitionJson) };
      },
    );
    app.get<{ Params: { id: string } }>(
      `${scope}/${AUTH}/roleDefinitions/:id`,
      performs("Microsoft.Authorization/roleDefinitions/read"),
      async (req) => {
        const id = req.params.id.toLowerCase();
        const role = (await currentRoleDefinitions(ctx.store)).find((r) => r.id === id);
        if (!role)
          throw new KeyVaultError(404, "RoleDefinitionDoesNotExist", "The specified role definition does not exist.");
        return definitionJson(role);
      },
    );
    app.put<{ Params: { id: string } }>(
      `${scope}/${AUTH}/roleDefinitions/:id`,
      performs("Microsoft.Authorization/roleDefinitions/write"),
      async (req, reply) => {
        const role = await putCustomRole(ctx.store, ctx.subscriptionId, req.params.id, jsonBody(req), mayAt(req));
        return reply.code(201).send(definitionJson(role));
      },
    );
    app.delete<{ Params: { id: string } }>(
      `${scope}/${AUTH}/roleDefinitions/:id`,
      performs("Microsoft.Authorization/roleDefinitions/delete"),
      async (req, reply) => {
        const removed = await deleteCustomRole(ctx.store, req.params.id, mayAt(req));
        return removed ? definitionJson(removed) : reply.code(204).send();
      },
    );
  }

  for (const scope of SCOPES) {
    // Assignments that apply at this scope (made here or above it, as ARM's atScope() lists them) or under it; each is
    // listed when the caller may read role assignments at this scope (for those above) or at the assignment's own.
    app.get(`${scope}/${AUTH}/roleAssignments`, lists("Microsoft.Authorization/roleAssignments/read"), async (req) => {
      const here = scopeOf(req);
      const filter = parseListFilter(req, ["principalId"]);
      const related = (await currentRoleAssignments(ctx.store))
        .filter((a) => withinScope(here, a.scope) || (!filter.atScope && withinScope(a.scope, here)))
        .filter((a) => filter.clauses.every(({ value }) => a.principalId.toLowerCase() === value));
      return {
        value: readable(req, related, (a) => (withinScope(here, a.scope) ? here : a.scope)).map(assignmentJson),
      };
    });
    app.put<{ Params: AssignmentParams }>(
      `${scope}/${AUTH}/roleAssignments/:assignmentName`,
      performs("Microsoft.Authorization/roleAssignments/write"),
      async (req, reply) => {
        checkObjectScope(req.params);
        const name = req.params.assignmentName;
        checkAssignmentName(name);
        const { properties } = jsonBody(req);
        const assignment = await createRoleAssignment(
          ctx.store,
          currentRoleDefinitions,
          scopeOf(req),
          name,
          isJsonObject(properties) ? properties : {},
          ctx.tokens.tenantId,
        );
        return reply.code(201).send(assignmentJson(assignment));
      },
    );
    app.get<{ Params: AssignmentParams }>(
      `${scope}/${AUTH}/roleAssignments/:assignmentName`,
      performs("Microsoft.Authorization/roleAssignments/read"),
      async (req) => {
        const found = await assignmentHere(req);
        if (!found)
          throw new KeyVaultError(
            404,
            "RoleAssignmentNotFound",
            `The role assignment '${req.params.assignmentName}' is not found.`,
          );
        return assignmentJson(found);
      },
    );
    app.delete<{ Params: AssignmentParams }>(
      `${scope}/${AUTH}/roleAssignments/:assignmentName`,
      performs("Microsoft.Authorization/roleAssignments/delete"),
      async (req, reply) => {
        const found = await assignmentHere(req);
        const removed = found && (await deleteRoleAssignment(ctx.store, found.name));
        return removed ? assignmentJson(removed) : reply.code(204).send();
      },
    );
  }
}
