// Management-plane RBAC, as Azure Resource Manager checks it: every management route declares the action it performs
// (Azure's operation name, e.g. Microsoft.KeyVault/vaults/write); the caller needs a role assignment, at the request's
// scope (its path: the subscription, a resource group, a vault, or below) or above it, whose role grants that action
// and does not exclude it. Administrators hold Owner at the subscription implicitly. A request reads: route (declares
// its action) → authenticate (onRequest) → authorize (preHandler) → operation.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { requireSubscription } from "../http/arm.js";
import { KeyVaultError } from "../http/errors.js";
import { authenticate, originOf } from "../identity/authenticate.js";
import { MANAGEMENT_AUDIENCE, type Caller } from "../identity/tokens.js";
import type { ServerContext } from "../identity/context.js";
import { isAdministrator } from "./administrator.js";
import { listRoleDefinitions } from "./custom-roles.js";
import { listRoleAssignments, roleGrantsAction, withinScope } from "./role-assignments.js";
import { urlPath } from "../http/route.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The ARM action the route performs, checked at the request's scope (or at `scope(req)` when the route gives one). */
    action?: string;
    scope?: (req: FastifyRequest) => string;
    /** A listing: it refuses nobody and answers only the items the caller may perform this action on. */
    listing?: string;
  }
  interface FastifyRequest {
    /** Set by authenticateManagement: who called, and what its roles let it do. */
    management?: ManagementAccess;
  }
}

export interface ManagementAccess {
  caller: Caller & { isAdministrator: boolean };
  /** True when the caller may perform `action` at `scope` (an ARM resource id). */
  can(action: string, scope: string): boolean;
  /** True when the caller holds any role at `scope`, above it or under it: Azure lists a subscription to such a caller. */
  hasAnyRoleAround(scope: string): boolean;
}

/** Route options of a management route: the action it performs at the request's scope. */
export const performs = (action: string, scope?: (req: FastifyRequest) => string) => ({ config: { action, scope } });
/** Route options of a listing: it answers the items the caller may perform `action` on (see `readable`). */
export const lists = (action: string) => ({ config: { listing: action } });

/** The items of a listing route that the caller may perform the route's declared action on. */
export function readable<T>(req: FastifyRequest, items: readonly T[], idOf: (item: T) => string): T[] {
  const action = req.routeOptions.config.listing;
  if (action === undefined) throw new Error(`${req.routeOptions.url} is not declared a listing`);
  return items.filter((item) => req.management!.can(action, idOf(item)));
}

/** ARM's refusal, word for word: it names a user by its sign-in name, an application by its id. */
export function authorizationFailed(caller: Caller, action: string, scope: string): KeyVaultError {
  return new KeyVaultError(
    403,
    "AuthorizationFailed",
    `The client '${caller.userPrincipalName ?? caller.appId}' with object id '${caller.objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );
}

/** The scope a request names: its path, without a trailing slash or the query. */
export const requestScope = (req: FastifyRequest) => urlPath(req.url).replace(/\/+$/, "");

/** An onRequest hook: authenticates for the management audience (or the server's own origin) and loads the caller's roles. */
export function authenticateManagement(ctx: ServerContext) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    // ARM SDKs pointed at the server's own URL ask for a token for that URL.
    const result = await authenticate(req, ctx.tokens, [MANAGEMENT_AUDIENCE, originOf(req)]);
    if ("missing" in result || "invalid" in result) {
      reply.header(
        "www-authenticate",
        `Bearer authorization_uri="https://login.microsoftonline.com/${ctx.tokens.tenantId}", error="invalid_token", error_description="The access token is missing or invalid."`,
      );
      throw new KeyVaultError(
        401,
        "AuthenticationFailed",
        "missing" in result ? "Authentication failed. The 'Authorization' header is missing." : result.invalid,
      );
    }
    const caller = { ...result.caller, isAdministrator: await isAdministrator(ctx.store, result.caller.objectId) };
    const subscription = `/subscriptions/${ctx.subscriptionId}`;
    const mine = (await listRoleAssignments(ctx.store)).filter((a) => a.principalId === caller.objectId);
    const roles = await listRoleDefinitions(ctx.store);
    req.management = {
      caller,
      can: (action, scope) =>
        (caller.isAdministrator && withinScope(scope, subscription)) ||
        roleGrantsAction(mine, roles, caller.objectId, scope, action),
      hasAnyRoleAround: (scope) =>
        caller.isAdministrator || mine.some((a) => withinScope(a.scope, scope) || withinScope(scope, a.scope)),
    };
  };
}

/** A preHandler hook: the route's declared action at its scope, or ARM's 403. */
async function authorizeManagement(req: FastifyRequest): Promise<void> {
  const { action, scope, listing } = req.routeOptions.config;
  if (listing !== undefined) return;
  const at = scope ? scope(req) : requestScope(req);
  if (!req.management!.can(action!, at)) throw authorizationFailed(req.management!.caller, action!, at);
}

/**
 * Puts a plugin's routes under management RBAC: each must declare its action (`performs`) or be a listing (`lists`),
 * or the server does not start; each request is authenticated, its subscription checked, then it is authorized.
 */
export function managementPipeline(app: FastifyInstance, ctx: ServerContext): void {
  app.addHook("onRoute", (route) => {
    if (route.config?.action === undefined && route.config?.listing === undefined) {
      throw new Error(`management route ${String(route.method)} ${route.url} declares no action`);
    }
  });
  app.addHook("onRequest", authenticateManagement(ctx));
  app.addHook("preHandler", requireSubscription(ctx.subscriptionId));
  app.addHook("preHandler", authorizeManagement);
}

/** An onRequest hook for what only administrators manage (Kluis's own /kluis/servicePrincipals, /kluis/audit): authenticate, then require one. */
export function requireAdministrator(ctx: ServerContext) {
  const authenticateHook = authenticateManagement(ctx);
  return async (req: FastifyRequest, reply: FastifyReply) => {
    await authenticateHook(req, reply);
    const { caller } = req.management!;
    const area = requestScope(req).split("/")[2];
    if (!caller.isAdministrator)
      throw authorizationFailed(caller, `Kluis/${area}/${req.method === "GET" ? "read" : "write"}`, requestScope(req));
  };
}
