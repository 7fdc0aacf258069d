// REST routes of the secrets API, each with the access-policy permission it needs.
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ServerContext } from "../server/context.js";
import { jsonBody, restoreRoute } from "../http/body.js";
import { readPageRequest } from "../objects/paging.js";
import {
  backupSecret,
  deleteSecret,
  getDeletedSecret,
  getDeletedSecrets,
  getSecret,
  getSecrets,
  getSecretVersions,
  purgeDeletedSecret,
  readOutContentType,
  recoverDeletedSecret,
  restoreSecret,
  setSecret,
  updateSecret,
} from "./operations.js";

const need = (permission: string) => ({ config: { permission: { collection: "secrets" as const, permission } } });
const name = (req: FastifyRequest) => (req.params as { name: string }).name;
const version = (req: FastifyRequest) => (req.params as { version?: string }).version;
const query = (req: FastifyRequest) => req.query as Record<string, unknown>;

export async function secretRoutes(app: FastifyInstance, { strictSecretValidity }: ServerContext) {
  const read = (req: FastifyRequest) => ({ outContentType: readOutContentType(query(req)), strictValidity: strictSecretValidity });
  app.get("/secrets", need("list"), (req) => getSecrets(req.scope, readPageRequest(query(req))));
  app.post("/secrets/restore", restoreRoute(need("restore")), (req) => restoreSecret(req.scope, jsonBody(req)));
  app.put("/secrets/:name", need("set"), (req) => setSecret(req.scope, name(req), jsonBody(req)));
  app.get("/secrets/:name/versions", need("list"), (req) => getSecretVersions(req.scope, name(req), readPageRequest(query(req))));
  app.get("/secrets/:name", need("get"), (req) => getSecret(req.scope, name(req), undefined, read(req)));
  app.get("/secrets/:name/:version", need("get"), (req) => getSecret(req.scope, name(req), version(req), read(req)));
  // Python's SDK updates the latest version as PATCH /secrets/{name}/ (an empty version).
  app.patch("/secrets/:name", need("set"), (req) => updateSecret(req.scope, name(req), undefined, jsonBody(req)));
  app.patch("/secrets/:name/:version", need("set"), (req) => updateSecret(req.scope, name(req), version(req), jsonBody(req)));
  app.delete("/secrets/:name", need("delete"), (req) => deleteSecret(req.scope, name(req)));
  app.post("/secrets/:name/backup", need("backup"), (req) => backupSecret(req.scope, name(req)));

  app.get("/deletedsecrets", need("list"), (req) => getDeletedSecrets(req.scope, readPageRequest(query(req))));
  app.get("/deletedsecrets/:name", need("get"), (req) => getDeletedSecret(req.scope, name(req)));
  app.post("/deletedsecrets/:name/recover", need("recover"), (req) => recoverDeletedSecret(req.scope, name(req)));
  app.delete("/deletedsecrets/:name", need("purge"), async (req, reply) => {
    await purgeDeletedSecret(req.scope, name(req));
    return reply.code(204).send();
  });
}
