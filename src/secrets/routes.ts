// REST routes of the secrets API, each with the access-policy permission it needs.
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ServerContext } from "../identity/context.js";
import { jsonBody, restoreRoute } from "../http/body.js";
import { pageResponse, readPageRequest } from "../objects/paging.js";
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
const name = (req: FastifyRequest) => (req.params as { name: string }).name;
const version = (req: FastifyRequest) => (req.params as { version?: string }).version;
const query = (req: FastifyRequest) => req.query as Record<string, unknown>;

export async function secretRoutes(app: FastifyInstance, { strictSecretValidity }: ServerContext) {
  const read = (req: FastifyRequest) => ({ outContentType: readOutContentType(query(req)), strictValidity: strictSecretValidity });
  app.get("/secrets", need("list"), async (req) => {
    const page = readPageRequest(query(req));
    return pageResponse(req.scope, "/secrets", page, await getSecrets(req.scope, page), (v) => secretItem(req.scope, v, false));
  });
  app.post("/secrets/restore", restoreRoute(need("restore")), async (req) => secretBundle(req.scope, await restoreSecret(req.scope, jsonBody(req).value), false));
  app.put("/secrets/:name", need("set"), async (req) => secretBundle(req.scope, await setSecret(req.scope, name(req), readSetSecret(jsonBody(req))), true));
  app.get("/secrets/:name/versions", need("list"), async (req) => {
    const page = readPageRequest(query(req));
    const versions = await getSecretVersions(req.scope, name(req), page);
    return pageResponse(req.scope, `/secrets/${name(req)}/versions`, page, versions, (v) => secretItem(req.scope, v, true));
  });
  app.get("/secrets/:name", need("get"), async (req) => secretBundle(req.scope, await getSecret(req.scope, name(req), undefined, read(req)), true));
  app.get("/secrets/:name/:version", need("get"), async (req) => secretBundle(req.scope, await getSecret(req.scope, name(req), version(req), read(req)), true));
  // Python's SDK updates the latest version as PATCH /secrets/{name}/ (an empty version).
  app.patch("/secrets/:name", need("set"), async (req) =>
    secretBundle(req.scope, await updateSecret(req.scope, name(req), undefined, readUpdateSecret(jsonBody(req))), false),
  );
  app.patch("/secrets/:name/:version", need("set"), async (req) =>
    secretBundle(req.scope, await updateSecret(req.scope, name(req), version(req), readUpdateSecret(jsonBody(req))), false),
  );
  app.delete("/secrets/:name", need("delete"), async (req) => deletedSecretBundle(req.scope, await deleteSecret(req.scope, name(req))));
  app.post("/secrets/:name/backup", need("backup"), async (req) => ({ value: await backupSecret(req.scope, name(req)) }));

  app.get("/deletedsecrets", need("list"), async (req) => {
    const page = readPageRequest(query(req));
    return pageResponse(req.scope, "/deletedsecrets", page, await getDeletedSecrets(req.scope, page), (d) => deletedSecretItem(req.scope, d));
  });
  app.get("/deletedsecrets/:name", need("get"), async (req) => deletedSecretBundle(req.scope, await getDeletedSecret(req.scope, name(req))));
  app.post("/deletedsecrets/:name/recover", need("recover"), async (req) => secretBundle(req.scope, await recoverDeletedSecret(req.scope, name(req)), false));
  app.delete("/deletedsecrets/:name", need("purge"), async (req, reply) => {
    await purgeDeletedSecret(req.scope, name(req));
    return reply.code(204).send();
  });
}
