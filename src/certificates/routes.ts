// REST routes of the certificates API, each with the access-policy permission it needs.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { jsonBody, restoreRoute } from "../http/body.js";
import { readPageRequest } from "../objects/paging.js";
import {
  deleteCertificateContacts,
  deleteCertificateIssuer,
  getCertificateContacts,
  getCertificateIssuer,
  getCertificateIssuers,
  setCertificateContacts,
  setCertificateIssuer,
} from "./issuers.js";
import {
  backupCertificate,
  createCertificate,
  deleteCertificate,
  deleteCertificateOperation,
  getCertificate,
  getCertificateOperation,
  getCertificatePolicy,
  getCertificates,
  getCertificateVersions,
  getDeletedCertificate,
  getDeletedCertificates,
  importCertificate,
  mergeCertificate,
  purgeDeletedCertificate,
  recoverDeletedCertificate,
  restoreCertificate,
  updateCertificate,
  updateCertificateOperation,
  updateCertificatePolicy,
} from "./operations.js";
import { readCancellation, readImportCertificate, readMergeCertificate } from "./requests.js";

const need = (permission: string, orPermission?: string) => ({
  config: { permission: { collection: "certificates" as const, permission, orPermission } },
});
const name = (req: FastifyRequest) => (req.params as { name: string }).name;
const version = (req: FastifyRequest) => (req.params as { version?: string }).version;
const issuer = (req: FastifyRequest) => (req.params as { issuer: string }).issuer;
const query = (req: FastifyRequest) => req.query as Record<string, unknown>;

export async function certificateRoutes(app: FastifyInstance) {
  // Vault-wide settings first: their static paths take precedence over /certificates/{name}.
  app.get("/certificates/contacts", need("managecontacts"), (req) => getCertificateContacts(req.scope));
  app.put("/certificates/contacts", need("managecontacts"), (req) => setCertificateContacts(req.scope, jsonBody(req)));
  app.delete("/certificates/contacts", need("managecontacts"), (req) => deleteCertificateContacts(req.scope));
  app.get("/certificates/issuers", need("listissuers", "manageissuers"), (req) => getCertificateIssuers(req.scope, readPageRequest(query(req))));
  app.get("/certificates/issuers/:issuer", need("getissuers", "manageissuers"), (req) => getCertificateIssuer(req.scope, issuer(req)));
  app.put("/certificates/issuers/:issuer", need("setissuers", "manageissuers"), (req) => setCertificateIssuer(req.scope, issuer(req), jsonBody(req)));
  app.patch("/certificates/issuers/:issuer", need("setissuers", "manageissuers"), (req) =>
    setCertificateIssuer(req.scope, issuer(req), jsonBody(req), true),
  );
  app.delete("/certificates/issuers/:issuer", need("deleteissuers", "manageissuers"), (req) => deleteCertificateIssuer(req.scope, issuer(req)));

  app.get("/certificates", need("list"), (req) =>
    getCertificates(req.scope, readPageRequest(query(req)), query(req).includePending === "true"),
  );
  app.post("/certificates/:name/create", need("create"), async (req, reply) =>
    reply.code(202).send(await createCertificate(req.scope, name(req), jsonBody(req))),
  );
  app.post("/certificates/:name/import", need("import"), (req) => importCertificate(req.scope, name(req), readImportCertificate(jsonBody(req))));
  app.get("/certificates/:name/pending", need("get"), (req) => getCertificateOperation(req.scope, name(req)));
  app.patch("/certificates/:name/pending", need("update"), (req) => updateCertificateOperation(req.scope, name(req), readCancellation(jsonBody(req))));
  app.delete("/certificates/:name/pending", need("delete"), (req) => deleteCertificateOperation(req.scope, name(req)));
  app.post("/certificates/:name/pending/merge", need("create"), async (req, reply) =>
    reply.code(201).send(await mergeCertificate(req.scope, name(req), readMergeCertificate(jsonBody(req)))),
  );
  app.get("/certificates/:name/policy", need("get"), (req) => getCertificatePolicy(req.scope, name(req)));
  app.patch("/certificates/:name/policy", need("update"), (req) => updateCertificatePolicy(req.scope, name(req), jsonBody(req)));
  app.get("/certificates/:name/versions", need("list"), (req) => getCertificateVersions(req.scope, name(req), readPageRequest(query(req))));
  app.get("/certificates/:name", need("get"), (req) => getCertificate(req.scope, name(req)));
  app.get("/certificates/:name/:version", need("get"), (req) => getCertificate(req.scope, name(req), version(req)));
  app.patch("/certificates/:name", need("update"), (req) => updateCertificate(req.scope, name(req), undefined, jsonBody(req)));
  app.patch("/certificates/:name/:version", need("update"), (req) => updateCertificate(req.scope, name(req), version(req), jsonBody(req)));
  app.delete("/certificates/:name", need("delete"), (req) => deleteCertificate(req.scope, name(req)));
  app.post("/certificates/:name/backup", need("backup"), (req) => backupCertificate(req.scope, name(req)));
  app.post("/certificates/restore", restoreRoute(need("restore")), (req) => restoreCertificate(req.scope, jsonBody(req)));

  app.get("/deletedcertificates", need("list"), (req) => getDeletedCertificates(req.scope, readPageRequest(query(req))));
  app.get("/deletedcertificates/:name", need("get"), (req) => getDeletedCertificate(req.scope, name(req)));
  app.post("/deletedcertificates/:name/recover", need("recover"), (req) => recoverDeletedCertificate(req.scope, name(req)));
  app.delete("/deletedcertificates/:name", need("purge"), async (req, reply) => {
    await purgeDeletedCertificate(req.scope, name(req));
    return reply.code(204).send();
  });
}
