// REST routes of the keys API, each with the access-policy permission it needs: request → operation → model.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { jsonBody, restoreRoute } from "../http/body.js";
import type { Route, VersionRoute } from "../http/route.js";
import { pageResponse, readPageRequest } from "../objects/paging.js";
import { KEYS } from "../objects/collection.js";
import { searchableList } from "../objects/name-search.js";
import type { ObjectScope } from "../objects/scope.js";
import {
  decrypt,
  encrypt,
  getRandomBytes,
  sign,
  unwrapKey,
  verify,
  wrapKey,
  type KeyOperationOutput,
} from "./crypto-operations.js";
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
type Named = Route<"name">;
type Versioned = Route<"name" | "version">;

type CryptoOperation<I> = (
  scope: ObjectScope,
  name: string,
  version: string | undefined,
  input: I,
) => Promise<KeyOperationOutput>;

/** POST /keys/{name}/{version}/{operation}; clients may leave the version out (or empty) for the newest one. */
function cryptoRoute<I>(
  app: FastifyInstance,
  path: string,
  permission: string,
  read: (body: Record<string, unknown>) => I,
  operation: CryptoOperation<I>,
) {
  const handler = async (req: FastifyRequest<VersionRoute>) =>
    keyOperationResult(req.scope, await operation(req.scope, req.params.name, req.params.version, read(jsonBody(req))));
  app.post<VersionRoute>(`/keys/:name/:version/${path}`, need(permission), handler);
  app.post<VersionRoute>(`/keys/:name/${path}`, need(permission), handler);
}

export async function keyRoutes(app: FastifyInstance) {
  app.get<Route>("/keys", need("list"), async (req) =>
    searchableList(req.scope, req.query, { collection: KEYS, deleted: false }, getKeys, (scope, v) =>
      keyItem(scope, v),
    ),
  );
  // Key Vault serves /rng on Managed HSM, where it needs the rng action; here any key reader may draw.
  app.post("/rng", need("get"), (req) => ({
    value: getRandomBytes(readRandomBytesCount(jsonBody(req))).toString("base64url"),
  }));
  app.post<Named>("/keys/:name/create", need("create"), async (req) =>
    keyBundle(req.scope, await createKey(req.scope, req.params.name, readCreateKey(jsonBody(req)))),
  );
  app.put<Named>("/keys/:name", need("import"), async (req) =>
    keyBundle(req.scope, await importKey(req.scope, req.params.name, readImportKey(jsonBody(req)))),
  );
  app.post("/keys/restore", restoreRoute(need("restore")), async (req) =>
    keyBundle(req.scope, await restoreKey(req.scope, jsonBody(req).value)),
  );
  app.post<Named>("/keys/:name/backup", need("backup"), async (req) => ({
    value: await backupKey(req.scope, req.params.name),
  }));
  app.post<Named>("/keys/:name/rotate", need("rotate"), async (req) =>
    keyBundle(req.scope, await rotateKey(req.scope, req.params.name)),
  );
  app.get<Named>("/keys/:name/rotationpolicy", need("getrotationpolicy"), async (req) =>
    rotationPolicyJson(req.scope, req.params.name, await getKeyRotationPolicy(req.scope, req.params.name)),
  );
  app.put<Named>("/keys/:name/rotationpolicy", need("setrotationpolicy"), async (req) =>
    rotationPolicyJson(
      req.scope,
      req.params.name,
      await updateKeyRotationPolicy(req.scope, req.params.name, readRotationPolicy(jsonBody(req))),
    ),
  );
  app.get<Named>("/keys/:name/versions", need("list"), async (req) => {
    const { name } = req.params;
    const page = readPageRequest(req.query);
    const versions = await getKeyVersions(req.scope, name, page);
    return pageResponse(req.scope, `/keys/${name}/versions`, page, versions, (v) => keyItem(req.scope, v, true));
  });
  app.get<Named>("/keys/:name", need("get"), async (req) =>
    keyBundle(req.scope, await getKey(req.scope, req.params.name)),
  );
  app.get<Versioned>("/keys/:name/:version", need("get"), async (req) =>
    keyBundle(req.scope, await getKey(req.scope, req.params.name, req.params.version)),
  );
  app.patch<Named>("/keys/:name", need("update"), async (req) =>
    keyBundle(req.scope, await updateKey(req.scope, req.params.name, undefined, readUpdateKey(jsonBody(req)))),
  );
  app.patch<Versioned>("/keys/:name/:version", need("update"), async (req) =>
    keyBundle(req.scope, await updateKey(req.scope, req.params.name, req.params.version, readUpdateKey(jsonBody(req)))),
  );
  app.delete<Named>("/keys/:name", need("delete"), async (req) =>
    deletedKeyBundle(req.scope, await deleteKey(req.scope, req.params.name)),
  );

  cryptoRoute(app, "sign", "sign", readValueOperation, sign);
  app.post<VersionRoute>("/keys/:name/:version/verify", need("verify"), verifyHandler);
  app.post<VersionRoute>("/keys/:name/verify", need("verify"), verifyHandler);
  cryptoRoute(app, "encrypt", "encrypt", readCipher, encrypt);
  cryptoRoute(app, "decrypt", "decrypt", readCipher, decrypt);
  cryptoRoute(app, "wrapkey", "wrapkey", readValueOperation, wrapKey);
  cryptoRoute(app, "unwrapkey", "unwrapkey", readValueOperation, unwrapKey);

  app.get<Route>("/deletedkeys", need("list"), async (req) =>
    searchableList(req.scope, req.query, { collection: KEYS, deleted: true }, getDeletedKeys, deletedKeyItem),
  );
  app.get<Named>("/deletedkeys/:name", need("get"), async (req) =>
    deletedKeyBundle(req.scope, await getDeletedKey(req.scope, req.params.name)),
  );
  app.post<Named>("/deletedkeys/:name/recover", need("recover"), async (req) =>
    keyBundle(req.scope, await recoverDeletedKey(req.scope, req.params.name)),
  );
  app.delete<Named>("/deletedkeys/:name", need("purge"), async (req, reply) => {
    await purgeDeletedKey(req.scope, req.params.name);
    return reply.code(204).send();
  });
}

async function verifyHandler(req: FastifyRequest<VersionRoute>): Promise<KeyVerifyResult> {
  return { value: await verify(req.scope, req.params.name, req.params.version, readVerify(jsonBody(req))) };
}
