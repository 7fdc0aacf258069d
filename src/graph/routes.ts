// The part of Microsoft Graph (v1.0) that `az ad sp|app|user|signed-in-user` and `az keyvault create|set-policy` use:
// applications and service principals (list with $filter, create, show, delete, addPassword, removePassword), users
// (list with $filter, create, show, update, delete) and /me. Served on the same HTTPS server: the proxy routes
// graph.microsoft.com here, and a registered cloud names the server's own URL. Administrators may do everything; any
// principal may read its own objects, and users may read users (as Entra's members may).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isAdministrator } from "../authorization/administrator.js";
import { authenticate, originOf } from "../identity/authenticate.js";
import { createServicePrincipal, resetServicePrincipalCredential } from "../identity/principals.js";
import { createUser, findUser, invalidNewUser, invalidPassword, updateUser } from "../identity/users.js";
import { GRAPH_AUDIENCE, type Caller } from "../identity/tokens.js";
import type { ServerContext } from "../identity/context.js";
import type { PrincipalRecord } from "../store/repositories/principals.js";
import type { UserRecord } from "../store/repositories/users.js";
import { deleteServicePrincipal, deleteUser } from "../vaults/principal-removal.js";
import { GraphError, graphBadRequest, graphDenied, graphNotFound, installGraphErrors } from "./errors.js";
import { parseFilter, type Filterable } from "./filter.js";
import {
  applicationIdOf,
  applicationView,
  filterable,
  filterableUser,
  newPasswordView,
  servicePrincipalView,
  userView,
} from "./model.js";
import { pathParam, queryOf } from "../http/route.js";
import { isJsonObject } from "../http/body.js";

declare module "fastify" {
  interface FastifyRequest {
    graphCaller?: Caller & { isAdministrator: boolean };
  }
}

/** Graph's limit on an application's display name. */
const MAX_DISPLAY_NAME = 256;
const GRAPH = "https://graph.microsoft.com/v1.0";

export async function graphRoutes(app: FastifyInstance, ctx: ServerContext) {
  const { store, tokens } = ctx;
  installGraphErrors(app);

  // Graph's own audience, or (for a registered cloud) the origin the client reached the server at.
  app.addHook("onRequest", async (req, reply) => {
    const result = await authenticate(req, tokens, [GRAPH_AUDIENCE, originOf(req)]);
    if ("missing" in result || "invalid" in result) {
      reply.header(
        "www-authenticate",
        `Bearer authorization_uri="https://login.microsoftonline.com/${tokens.tenantId}/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
      );
      throw new GraphError(
        401,
        "InvalidAuthenticationToken",
        "missing" in result ? "Access token is empty." : `Access token validation failure. ${result.invalid}`,
      );
    }
    req.graphCaller = { ...result.caller, isAdministrator: await isAdministrator(store, result.caller.objectId) };
  });

  const requireAdministrator = (req: FastifyRequest) => {
    if (!req.graphCaller!.isAdministrator) throw graphDenied();
  };
  /** Reading an object: its own principal may, as well as an administrator. */
  const requireSelfOrAdministrator = (req: FastifyRequest, p: PrincipalRecord | undefined) => {
    if (!req.graphCaller!.isAdministrator && p?.objectId !== req.graphCaller!.objectId) throw graphDenied();
  };
  const idParam = (req: FastifyRequest) => pathParam(req, "id");
  const body = (req: FastifyRequest) => (isJsonObject(req.body) ? req.body : {});
  const listed = (entity: string, value: unknown[]) => ({ "@odata.context": `${GRAPH}/$metadata#${entity}`, value });
  const entity = (set: string, view: object) => ({ "@odata.context": `${GRAPH}/$metadata#${set}/$entity`, ...view });

  /** The objects a list request asks for: all of them, or those its $filter selects. */
  function selected<T>(req: FastifyRequest, all: T[], view: (o: T) => Filterable): T[] {
    const filter = queryOf(req)["$filter"];
    if (Array.isArray(filter))
      throw graphBadRequest(
        "Query option '$filter' was specified more than once, but it must be specified at most once.",
      );
    const predicate = typeof filter === "string" ? parseFilter(filter) : () => true;
    return all.filter((o) => predicate(view(o)));
  }
  const principalsSelected = async (req: FastifyRequest) => selected(req, await store.principals.list(), filterable);
  const servicePrincipal = async (id: string) => store.principals.getByObjectId(id);
  /** Application ids are derived, so finding one reads every principal: only an administrator's request does. */
  async function application(req: FastifyRequest): Promise<PrincipalRecord | undefined> {
    const id = idParam(req).toLowerCase();
    if (!req.graphCaller!.isAdministrator) {
      const self = await store.principals.getByObjectId(req.graphCaller!.objectId);
      if (!self || applicationIdOf(self) !== id) throw graphDenied();
      return self;
    }
    return (await store.principals.list()).find((p) => applicationIdOf(p) === id);
  }

  /** Deleting an application or a service principal deletes the one record; its tokens stop working. */
  async function remove(p: PrincipalRecord, reply: FastifyReply) {
    if (!(await deleteServicePrincipal(store, tokens, p.appId))) throw graphNotFound(p.objectId);
    return reply.code(204).send();
  }

  /** addPassword: Kluis keeps one secret per principal, so a new password replaces the old one. */
  async function addPassword(req: FastifyRequest, p: PrincipalRecord) {
    const reset = await resetServicePrincipalCredential(store, tokens, p.appId);
    if (!reset) throw graphNotFound(p.objectId);
    const credential = body(req).passwordCredential;
    return newPasswordView(
      reset.principal,
      reset.password,
      isJsonObject(credential) ? credential.displayName : undefined,
    );
  }

  /** removePassword of the current secret replaces it with one nobody knows: the principal can no longer sign in. */
  async function removePassword(req: FastifyRequest, reply: FastifyReply, p: PrincipalRecord) {
    const keyId = body(req).keyId;
    if (typeof keyId !== "string") throw graphBadRequest("The keyId is required.");
    if (!applicationView(p).passwordCredentials.some((c) => c.keyId === keyId.toLowerCase())) {
      throw graphNotFound(keyId);
    }
    if (!(await resetServicePrincipalCredential(store, tokens, p.appId))) throw graphNotFound(p.objectId);
    return reply.code(204).send();
  }

  // The signed-in user; an application token has none (az falls back to looking its service principal up).
  app.get("/me", async (req) => {
    const user = await store.users.getByObjectId(req.graphCaller!.objectId);
    if (!user) throw new GraphError(400, "BadRequest", "/me request is only valid with delegated authentication flow.");
    return entity("users", userView(user));
  });

  // -- users ----------------------------------------------------------------------------------------------------
  /** Users are read by administrators and by users (Entra's members read the directory); not by other applications. */
  const requireUserReader = async (req: FastifyRequest) => {
    if (!req.graphCaller!.isAdministrator && !(await store.users.getByObjectId(req.graphCaller!.objectId)))
      throw graphDenied();
  };
  /** /users/{id | userPrincipalName}. */
  const user = async (req: FastifyRequest): Promise<UserRecord> => {
    const found = await findUser(store, idParam(req));
    if (!found) throw graphNotFound(idParam(req));
    return found;
  };

  app.get("/users", async (req) => {
    await requireUserReader(req);
    return listed("users", selected(req, await store.users.list(), filterableUser).map(userView));
  });

  app.get("/users/:id", async (req) => {
    await requireUserReader(req);
    return entity("users", userView(await user(req)));
  });

  // az ad user create: accountEnabled, displayName, mailNickname, passwordProfile.password, userPrincipalName.
  app.post("/users", async (req, reply) => {
    requireAdministrator(req);
    const b = body(req);
    const { userPrincipalName, mailNickname } = b;
    if (typeof userPrincipalName !== "string" || !userPrincipalName.trim())
      throw invalidUserProperty("userPrincipalName");
    if (typeof mailNickname !== "string" || !mailNickname.trim()) throw invalidUserProperty("mailNickname");
    const password = passwordOf(b.passwordProfile);
    if (password === undefined) throw invalidUserProperty("passwordProfile");
    const fields = {
      userPrincipalName: userPrincipalName.trim(),
      displayName: validDisplayName(b.displayName),
      mailNickname: validMailNickname(mailNickname),
      password,
      accountEnabled: accountEnabledOf(b.accountEnabled),
    };
    const invalid = invalidNewUser(fields);
    if (invalid) throw graphBadRequest(invalid);
    const taken = () =>
      graphBadRequest("Another object with the same value for property userPrincipalName already exists.");
    if (await store.users.getByPrincipalName(fields.userPrincipalName)) throw taken();
    const created = await createUser(store, fields).catch(async (err: unknown) => {
      // Two requests for the same name at once: the store's unique UPN refuses the second.
      throw (await store.users.getByPrincipalName(fields.userPrincipalName)) ? taken() : err;
    });
    return reply.code(201).send(entity("users", userView(created)));
  });

  // az ad user update: displayName, mailNickname, accountEnabled, passwordProfile (a reset: the user's tokens stop
  // working). Administrators only, as for every other write; Graph answers 204 without a body.
  app.patch("/users/:id", async (req, reply) => {
    requireAdministrator(req);
    const b = body(req);
    const known = ["displayName", "mailNickname", "accountEnabled", "passwordProfile"];
    const unknown = Object.keys(b).find((p) => !known.includes(p));
    if (unknown) throw graphBadRequest(`Kluis does not keep the property '${unknown}' of a user.`);
    const changes = {
      displayName: b.displayName === undefined ? undefined : validDisplayName(b.displayName),
      mailNickname: b.mailNickname === undefined ? undefined : validMailNickname(b.mailNickname),
      accountEnabled: accountEnabledOf(b.accountEnabled),
      password: b.passwordProfile === undefined ? undefined : passwordOf(b.passwordProfile),
    };
    if (b.passwordProfile !== undefined && changes.password === undefined) throw invalidUserProperty("passwordProfile");
    const invalid = changes.password === undefined ? undefined : invalidPassword(changes.password);
    if (invalid) throw graphBadRequest(invalid);
    if (!(await updateUser(store, tokens, (await user(req)).objectId, changes))) throw graphNotFound(idParam(req));
    return reply.code(204).send();
  });

  app.delete("/users/:id", async (req, reply) => {
    requireAdministrator(req);
    if (!(await deleteUser(store, tokens, (await user(req)).objectId))) throw graphNotFound(idParam(req));
    return reply.code(204).send();
  });

  // -- service principals ---------------------------------------------------------------------------------------
  app.get("/servicePrincipals", async (req) => {
    requireAdministrator(req);
    return listed(
      "servicePrincipals",
      (await principalsSelected(req)).map((p) => servicePrincipalView(p, tokens.tenantId)),
    );
  });

  // The application's principal already exists (it is one record): creating its service principal shows it.
  app.post("/servicePrincipals", async (req, reply) => {
    requireAdministrator(req);
    const appId = body(req).appId;
    if (typeof appId !== "string") throw graphBadRequest("The appId of the service principal is required.");
    const p = await store.principals.getByAppId(appId);
    if (!p)
      throw graphBadRequest(
        `The appId '${appId}' of the service principal does not reference a valid application object.`,
      );
    return reply.code(201).send(entity("servicePrincipals", servicePrincipalView(p, tokens.tenantId)));
  });

  app.get("/servicePrincipals/:id", async (req) => {
    const p = await servicePrincipal(idParam(req));
    requireSelfOrAdministrator(req, p);
    if (!p) throw graphNotFound(idParam(req));
    return entity("servicePrincipals", servicePrincipalView(p, tokens.tenantId));
  });

  app.delete("/servicePrincipals/:id", async (req, reply) => {
    requireAdministrator(req);
    const p = await servicePrincipal(idParam(req));
    if (!p) throw graphNotFound(idParam(req));
    return remove(p, reply);
  });

  app.post("/servicePrincipals/:id/addPassword", async (req) => {
    requireAdministrator(req);
    const p = await servicePrincipal(idParam(req));
    if (!p) throw graphNotFound(idParam(req));
    return addPassword(req, p);
  });

  app.post("/servicePrincipals/:id/removePassword", async (req, reply) => {
    requireAdministrator(req);
    const p = await servicePrincipal(idParam(req));
    if (!p) throw graphNotFound(idParam(req));
    return removePassword(req, reply, p);
  });

  // -- applications ---------------------------------------------------------------------------------------------
  app.get("/applications", async (req) => {
    requireAdministrator(req);
    return listed("applications", (await principalsSelected(req)).map(applicationView));
  });

  // A new application is a new principal whose secret nobody knows until addPassword gives it one.
  app.post("/applications", async (req, reply) => {
    requireAdministrator(req);
    const displayName = validDisplayName(body(req).displayName);
    const created = await createServicePrincipal(store, displayName);
    const p = await store.principals.getByAppId(created.appId);
    if (!p) throw graphNotFound(created.appId);
    return reply.code(201).send(entity("applications", applicationView(p)));
  });

  app.get("/applications/:id", async (req) => {
    const p = await application(req); // a principal that is not an administrator finds only its own
    if (!p) throw graphNotFound(idParam(req));
    return entity("applications", applicationView(p));
  });

  // az patches an application it finds by name (create-for-rbac run twice); Kluis keeps only the display name.
  app.patch("/applications/:id", async (req, reply) => {
    requireAdministrator(req);
    const p = await application(req);
    if (!p) throw graphNotFound(idParam(req));
    for (const [property, value] of Object.entries(body(req))) {
      if (property !== "displayName")
        throw graphBadRequest(`Kluis does not keep the property '${property}' of an application.`);
      if (validDisplayName(value) !== p.displayName) throw graphBadRequest("Kluis cannot rename an application.");
    }
    return reply.code(204).send();
  });

  app.delete("/applications/:id", async (req, reply) => {
    requireAdministrator(req);
    const p = await application(req);
    if (!p) throw graphNotFound(idParam(req));
    return remove(p, reply);
  });

  app.post("/applications/:id/addPassword", async (req) => {
    requireAdministrator(req);
    const p = await application(req);
    if (!p) throw graphNotFound(idParam(req));
    return addPassword(req, p);
  });

  app.post("/applications/:id/removePassword", async (req, reply) => {
    requireAdministrator(req);
    const p = await application(req);
    if (!p) throw graphNotFound(idParam(req));
    return removePassword(req, reply, p);
  });
}

const invalidUserProperty = (property: string) =>
  graphBadRequest(`Invalid value specified for property '${property}' of resource 'User'.`);

function validMailNickname(value: unknown): string {
  if (typeof value !== "string" || !value.trim()) throw invalidUserProperty("mailNickname");
  return value.trim().slice(0, 64);
}

function accountEnabledOf(value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== "boolean") throw invalidUserProperty("accountEnabled");
  return value;
}

/**
 * The password of a passwordProfile, or undefined when it names none. Kluis has no page to change a password at, so
 * it cannot make a user change theirs at the next sign-in: it refuses forceChangePasswordNextSignIn rather than ignore it.
 */
function passwordOf(profile: unknown): string | undefined {
  if (!isJsonObject(profile)) return undefined;
  const { password, forceChangePasswordNextSignIn: force } = profile;
  if (force !== undefined && force !== false) {
    throw graphBadRequest(
      "Kluis cannot make a user change their password at the next sign-in: send forceChangePasswordNextSignIn false (az: --force-change-password-next-sign-in false).",
    );
  }
  return typeof password === "string" ? password : undefined;
}

function validDisplayName(value: unknown): string {
  if (typeof value !== "string" || !value.trim()) throw graphBadRequest("The displayName is required.");
  if (value.length > MAX_DISPLAY_NAME)
    throw graphBadRequest(`The displayName may be at most ${MAX_DISPLAY_NAME} characters long.`);
  return value.trim();
}
