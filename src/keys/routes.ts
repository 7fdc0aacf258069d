// REST routes of the keys API, each with the access-policy permission it needs: request → operation → model.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { jsonBody, restoreRoute } from "../http/body.js";
import { pageResponse, readPageRequest } from "../objects/paging.js";
import type { ObjectScope } from "../objects/scope.js";
import { decrypt, encrypt, getRandomBytes, sign, unwrapKey, verify, wrapKey, type KeyOperationOutput } from "./crypto-operations.js";
import {
  deletedKeyBundle,
  deletedKeyItem,
  keyBundle,
  keyItem,
  keyOperationResult,
  rotationPolicyJson,
  type KeyVerifyResult,
} from "./model.js";
import {
  backupKey,
  createKey,
  deleteKey,
  getDeletedKey,
  getDeletedKeys,
  getKey,
  getKeys,
  getKeyVersions,
  importKey,
  purgeDeletedKey,
  recoverDeletedKey,
  restoreKey,
  updateKey,
} from "./operations.js";
import {
  readCipher,
  readCreateKey,
  readImportKey,
  readRandomBytesCount,
  readRotationPolicy,
  readUpdateKey,
  readValueOperation,
  readVerify,
} from "./requests.js";
import { getKeyRotationPolicy, rotateKey, updateKeyRotationPolicy } from "./rotation.js";

const need = (permission: string) => ({ config: { permission: { collection: "keys" as const, permission } } });
const params = (req: FastifyRequest) => req.params as { name: string; version?: string };
const name = (req: FastifyRequest) => params(req).name;
const query = (req: FastifyRequest) => req.query as Record<string, unknown>;

type CryptoOperation<I> = (scope: ObjectScope, name: string, version: string | undefined, input: I) => Promise<KeyOperationOutput>;

/** POST /keys/{name}/{version}/{operation}; clients may leave the version out (or empty) for the newest one. */
function cryptoRoute<I>(app: FastifyInstance, path: string, permission: string, read: (body: Record<string, unknown>) => I, operation: CryptoOperation<I>) {
  const handler = async (req: FastifyRequest) => keyOperationResult(req.scope, await operation(req.scope, name(req), params(req).version, read(jsonBody(req))));
  app.post(`/keys/:name/:version/${path}`, need(permission), handler);
  app.post(`/keys/:name/${path}`, need(permission), handler);
}

export async function keyRoutes(app: FastifyInstance) {
  app.get("/keys", need("list"), async (req) => {
    const page = readPageRequest(query(req));
    return pageResponse(req.scope, "/keys", page, await getKeys(req.scope, page), (v) => keyItem(req.scope, v));
  });
  // Key Vault serves /rng on Managed HSM, where it needs the rng action; here any key reader may draw.
  app.post("/rng", need("get"), (req) => ({ value: getRandomBytes(readRandomBytesCount(jsonBody(req))).toString("base64url") }));
  app.post("/keys/:name/create", need("create"), async (req) => keyBundle(req.scope, await createKey(req.scope, name(req), readCreateKey(jsonBody(req)))));
  app.put("/keys/:name", need("import"), async (req) => keyBundle(req.scope, await importKey(req.scope, name(req), readImportKey(jsonBody(req)))));
  app.post("/keys/restore", restoreRoute(need("restore")), async (req) => keyBundle(req.scope, await restoreKey(req.scope, jsonBody(req).value)));
  app.post("/keys/:name/backup", need("backup"), async (req) => ({ value: await backupKey(req.scope, name(req)) }));
  app.post("/keys/:name/rotate", need("rotate"), async (req) => keyBundle(req.scope, await rotateKey(req.scope, name(req))));
  app.get("/keys/:name/rotationpolicy", need("getrotationpolicy"), async (req) =>
    rotationPolicyJson(req.scope, name(req), await getKeyRotationPolicy(req.scope, name(req))),
  );
  app.put("/keys/:name/rotationpolicy", need("setrotationpolicy"), async (req) =>
    rotationPolicyJson(req.scope, name(req), await updateKeyRotationPolicy(req.scope, name(req), readRotationPolicy(jsonBody(req)))),
  );
  app.get("/keys/:name/versions", need("list"), async (req) => {
    const page = readPageRequest(query(req));
    const versions = await getKeyVersions(req.scope, name(req), page);
    return pageResponse(req.scope, `/keys/${name(req)}/versions`, page, versions, (v) => keyItem(req.scope, v, true));
  });
  app.get("/keys/:name", need("get"), async (req) => keyBundle(req.scope, await getKey(req.scope, name(req))));
  app.get("/keys/:name/:version", need("get"), async (req) => keyBundle(req.scope, await getKey(req.scope, name(req), params(req).version)));
  app.patch("/keys/:name", need("update"), async (req) => keyBundle(req.scope, await updateKey(req.scope, name(req), undefined, readUpdateKey(jsonBody(req)))));
  app.patch("/keys/:name/:version", need("update"), async (req) =>
    keyBundle(req.scope, await updateKey(req.scope, name(req), params(req).version, readUpdateKey(jsonBody(req)))),
  );
  app.delete("/keys/:name", need("delete"), async (req) => deletedKeyBundle(req.scope, await deleteKey(req.scope, name(req))));

  cryptoRoute(app, "sign", "sign", readValueOperation, sign);
  app.post("/keys/:name/:version/verify", need("verify"), verifyHandler);
  app.post("/keys/:name/verify", need("verify"), verifyHandler);
  cryptoRoute(app, "encrypt", "encrypt", readCipher, encrypt);
  cryptoRoute(app, "decrypt", "decrypt", readCipher, decrypt);
  cryptoRoute(app, "wrapkey", "wrapkey", readValueOperation, wrapKey);
  cryptoRoute(app, "unwrapkey", "unwrapkey", readValueOperation, unwrapKey);

  app.get("/deletedkeys", need("list"), async (req) => {
    const page = readPageRequest(query(req));
    return pageResponse(req.scope, "/deletedkeys", page, await getDeletedKeys(req.scope, page), (d) => deletedKeyItem(req.scope, d));
  });
  app.get("/deletedkeys/:name", need("get"), async (req) => deletedKeyBundle(req.scope, await getDeletedKey(req.scope, name(req))));
  app.post("/deletedkeys/:name/recover", need("recover"), async (req) => keyBundle(req.scope, await recoverDeletedKey(req.scope, name(req))));
  app.delete("/deletedkeys/:name", need("purge"), async (req, reply) => {
    await purgeDeletedKey(req.scope, name(req));
    return reply.code(204).send();
  });
}

async function verifyHandler(req: FastifyRequest): Promise<KeyVerifyResult> {
  return { value: await verify(req.scope, name(req), params(req).version, readVerify(jsonBody(req))) };
}
