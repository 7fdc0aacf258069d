// REST routes of the secrets API, each with the access-policy permission it needs.
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../identity/context.js";
import { jsonBody, restoreRoute } from "../http/body.js";
import type { Query, Route } from "../http/route.js";
import { pageResponse, readPageRequest } from "../objects/paging.js";
import { SECRETS } from "../objects/collection.js";
import { searchableList } from "../objects/name-search.js";
import { deletedSecretBundle, deletedSecretItem, secretBundle, secretItem } from "./model.js";
import {
  backupSecret,
  deleteSecret,
  getDeletedSecret,
  getDeletedSecrets,
  getSecret,
  getSecrets,
  getSecretVersions,
  purgeDeletedSecret,
  recoverDeletedSecret,
  restoreSecret,
  setSecret,
  updateSecret,
} from "./operations.js";
import { readOutContentType, readSetSecret, readUpdateSecret } from "./requests.js";

const need = (permission: string) => ({ config: { permission: { collection: "secrets" as const, permission } } });
type Named = Route<"name">;
type Versioned = Route<"name" | "version">;

export async function secretRoutes(app: FastifyInstance, { strictSecretValidity }: ServerContext) {
  const read = (query: Query) => ({ outContentType: readOutContentType(query), strictValidity: strictSecretValidity });
  app.get<Route>("/secrets", need("list"), async (req) =>
    searchableList(req.scope, req.query, { collection: SECRETS, deleted: false }, getSecrets, (scope, v) =>
      secretItem(scope, v, false),
    ),
  );
  app.post("/secrets/restore", restoreRoute(need("restore")), async (req) =>
    secretBundle(req.scope, await restoreSecret(req.scope, jsonBody(req).value), false),
  );
  app.put<Named>("/secrets/:name", need("set"), async (req) =>
    secretBundle(req.scope, await setSecret(req.scope, req.params.name, readSetSecret(jsonBody(req))), true),
  );
  app.get<Named>("/secrets/:name/versions", need("list"), async (req) => {
    const { name } = req.params;
    const page = readPageRequest(req.query);
    const versions = await getSecretVersions(req.scope, name, page);
    return pageResponse(req.scope, `/secrets/${name}/versions`, page, versions, (v) => secretItem(req.scope, v, true));
  });
  app.get<Named>("/secrets/:name", need("get"), async (req) =>
    secretBundle(req.scope, await getSecret(req.scope, req.params.name, undefined, read(req.query)), true),
  );
  app.get<Versioned>("/secrets/:name/:version", need("get"), async (req) =>
    secretBundle(req.scope, await getSecret(req.scope, req.params.name, req.params.version, read(req.query)), true),
  );
  // Python's SDK updates the latest version as PATCH /secrets/{name}/ (an empty version).
  app.patch<Named>("/secrets/:name", need("set"), async (req) =>
    secretBundle(
      req.scope,
      await updateSecret(req.scope, req.params.name, undefined, readUpdateSecret(jsonBody(req))),
      false,
    ),
  );
  app.patch<Versioned>("/secrets/:name/:version", need("set"), async (req) =>
    secretBundle(
      req.scope,
      await updateSecret(req.scope, req.params.name, req.params.version, readUpdateSecret(jsonBody(req))),
      false,
    ),
  );
  app.delete<Named>("/secrets/:name", need("delete"), async (req) =>
    deletedSecretBundle(req.scope, await deleteSecret(req.scope, req.params.name)),
  );
  app.post<Named>("/secrets/:name/backup", need("backup"), async (req) => ({
    value: await backupSecret(req.scope, req.params.name),
  }));

  app.get<Route>("/deletedsecrets", need("list"), async (req) =>
    searchableList(req.scope, req.query, { collection: SECRETS, deleted: true }, getDeletedSecrets, deletedSecretItem),
  );
  app.get<Named>("/deletedsecrets/:name", need("get"), async (req) =>
    deletedSecretBundle(req.scope, await getDeletedSecret(req.scope, req.params.name)),
  );
  app.post<Named>("/deletedsecrets/:name/recover", need("recover"), async (req) =>
    secretBundle(req.scope, await recoverDeletedSecret(req.scope, req.params.name), false),
  );
  app.delete<Named>("/deletedsecrets/:name", need("purge"), async (req, reply) => {
    await purgeDeletedSecret(req.scope, req.params.name);
    return reply.code(204).send();
  });
}
