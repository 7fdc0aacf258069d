// REST routes of the keys API, each with the access-policy permission it needs.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { jsonBody, restoreRoute } from "../http/body.js";
import { readPageRequest } from "../objects/paging.js";
import type { VaultScope } from "../objects/scope.js";
import {
  backupKey,
  createKey,
  decrypt,
  deleteKey,
  encrypt,
  getDeletedKey,
  getDeletedKeys,
  getKey,
  getKeyRotationPolicy,
  getKeyVersions,
  getKeys,
  getRandomBytes,
  importKey,
  purgeDeletedKey,
  recoverDeletedKey,
  restoreKey,
  rotateKey,
  sign,
  unwrapKey,
  updateKey,
  updateKeyRotationPolicy,
  verify,
  wrapKey,
} from "./operations.js";

const need = (permission: string) => ({ config: { permission: { collection: "keys" as const, permission } } });
const params = (req: FastifyRequest) => req.params as { name: string; version?: string };
const name = (req: FastifyRequest) => params(req).name;
const query = (req: FastifyRequest) => req.query as Record<string, unknown>;

type CryptoOperation = (scope: VaultScope, name: string, version: string | undefined, body: Record<string, unknown>) => Promise<unknown>;

/** POST /keys/{name}/{version}/{operation}; clients may leave the version out (or empty) for the newest one. */
function cryptoRoute(app: FastifyInstance, path: string, permission: string, operation: CryptoOperation) {
  const handler = (req: FastifyRequest) => operation(req.scope, name(req), params(req).version, jsonBody(req));
  app.post(`/keys/:name/:version/${path}`, need(permission), handler);
  app.post(`/keys/:name/${path}`, need(permission), handler);
}

export async function keyRoutes(app: FastifyInstance) {
  app.get("/keys", need("list"), (req) => getKeys(req.scope, readPageRequest(query(req))));
  // Key Vault serves /rng on Managed HSM, where it needs the rng action; here any key reader may draw.
  app.post("/rng", need("get"), (req) => getRandomBytes(jsonBody(req)));
  app.post("/keys/:name/create", need("create"), (req) => createKey(req.scope, name(req), jsonBody(req)));
  app.put("/keys/:name", need("import"), (req) => importKey(req.scope, name(req), jsonBody(req)));
  app.post("/keys/restore", restoreRoute(need("restore")), (req) => restoreKey(req.scope, jsonBody(req)));
  app.post("/keys/:name/backup", need("backup"), (req) => backupKey(req.scope, name(req)));
  app.post("/keys/:name/rotate", need("rotate"), (req) => rotateKey(req.scope, name(req)));
  app.get("/keys/:name/rotationpolicy", need("getrotationpolicy"), (req) => getKeyRotationPolicy(req.scope, name(req)));
  app.put("/keys/:name/rotationpolicy", need("setrotationpolicy"), (req) => updateKeyRotationPolicy(req.scope, name(req), jsonBody(req)));
  app.get("/keys/:name/versions", need("list"), (req) => getKeyVersions(req.scope, name(req), readPageRequest(query(req))));
  app.get("/keys/:name", need("get"), (req) => getKey(req.scope, name(req)));
  app.get("/keys/:name/:version", need("get"), (req) => getKey(req.scope, name(req), params(req).version));
  app.patch("/keys/:name", need("update"), (req) => updateKey(req.scope, name(req), undefined, jsonBody(req)));
  app.patch("/keys/:name/:version", need("update"), (req) => updateKey(req.scope, name(req), params(req).version, jsonBody(req)));
  app.delete("/keys/:name", need("delete"), (req) => deleteKey(req.scope, name(req)));

  cryptoRoute(app, "sign", "sign", sign);
  cryptoRoute(app, "verify", "verify", verify);
  cryptoRoute(app, "encrypt", "encrypt", encrypt);
  cryptoRoute(app, "decrypt", "decrypt", decrypt);
  cryptoRoute(app, "wrapkey", "wrapkey", wrapKey);
  cryptoRoute(app, "unwrapkey", "unwrapkey", unwrapKey);

  app.get("/deletedkeys", need("list"), (req) => getDeletedKeys(req.scope, readPageRequest(query(req))));
  app.get("/deletedkeys/:name", need("get"), (req) => getDeletedKey(req.scope, name(req)));
  app.post("/deletedkeys/:name/recover", need("recover"), (req) => recoverDeletedKey(req.scope, name(req)));
  app.delete("/deletedkeys/:name", need("purge"), async (req, reply) => {
    await purgeDeletedKey(req.scope, name(req));
    return reply.code(204).send();
  });
}
