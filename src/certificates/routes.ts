// REST routes of the certificates API, each with the access-policy permission it needs.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { jsonBody } from "../http/body.js";
import { readPageRequest } from "../objects/paging.js";
import {
  createCertificate,
  deleteCertificate,
  getCertificate,
  getCertificateOperation,
  getCertificatePolicy,
  getCertificates,
  getCertificateVersions,
  getDeletedCertificate,
  getDeletedCertificates,
  purgeDeletedCertificate,
  recoverDeletedCertificate,
} from "./operations.js";

const need = (permission: string) => ({ config: { permission: { collection: "certificates" as const, permission } } });
const name = (req: FastifyRequest) => (req.params as { name: string }).name;
const query = (req: FastifyRequest) => req.query as Record<string, unknown>;

export async function certificateRoutes(app: FastifyInstance) {
  app.get("/certificates", need("list"), (req) =>
    getCertificates(req.scope, readPageRequest(query(req)), query(req).includePending === "true"),
  );
  app.post("/certificates/:name/create", need("create"), async (req, reply) =>
    reply.code(202).send(await createCertificate(req.scope, name(req), jsonBody(req))),
  );
  app.get("/certificates/:name/pending", need("get"), (req) => getCertificateOperation(req.scope, name(req)));
  app.get("/certificates/:name/policy", need("get"), (req) => getCertificatePolicy(req.scope, name(req)));
  app.get("/certificates/:name/versions", need("list"), (req) => getCertificateVersions(req.scope, name(req), readPageRequest(query(req))));
  app.get("/certificates/:name", need("get"), (req) => getCertificate(req.scope, name(req)));
  app.get("/certificates/:name/:version", need("get"), (req) =>
    getCertificate(req.scope, name(req), (req.params as { version: string }).version),
  );
  app.delete("/certificates/:name", need("delete"), (req) => deleteCertificate(req.scope, name(req)));

  app.get("/deletedcertificates", need("list"), (req) => getDeletedCertificates(req.scope, readPageRequest(query(req))));
  app.get("/deletedcertificates/:name", need("get"), (req) => getDeletedCertificate(req.scope, name(req)));
  app.post("/deletedcertificates/:name/recover", need("recover"), (req) => recoverDeletedCertificate(req.scope, name(req)));
  app.delete("/deletedcertificates/:name", need("purge"), async (req, reply) => {
    await purgeDeletedCertificate(req.scope, name(req));
    return reply.code(204).send();
  });
}
