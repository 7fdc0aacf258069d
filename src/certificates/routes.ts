// REST routes of the certificates API, each with the access-policy permission it needs: request → operation → model.
import type { FastifyInstance } from "fastify";
import { jsonBody, restoreRoute } from "../http/body.js";
import type { Route } from "../http/route.js";
import { pageResponse, readPageRequest } from "../objects/paging.js";
import { CERTIFICATES } from "../objects/collection.js";
import { searchableList } from "../objects/name-search.js";
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
  certificateBundle,
  certificateItem,
  certificateListItem,
  COLLECTION,
  contactsJson,
  deletedCertificateBundle,
  deletedCertificateItem,
  issuerBundle,
  issuerItem,
  ISSUERS_PATH,
  operationJson,
  policyJson,
} from "./model.js";
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
import {
  readCancellation,
  readContacts,
  readCreateCertificate,
  readImportCertificate,
  readIssuer,
  readMergeCertificate,
  readUpdateCertificate,
  readUpdatePolicy,
} from "./requests.js";

const need = (permission: string, orPermission?: string) => ({
  config: { permission: { collection: "certificates" as const, permission, orPermission } },
});

type Named = Route<"name">;
type Versioned = Route<"name" | "version">;
type Issuer = Route<"issuer">;

export async function certificateRoutes(app: FastifyInstance) {
  // Vault-wide settings first: their static paths take precedence over /certificates/{name}.
  app.get("/certificates/contacts", need("managecontacts"), async (req) =>
    contactsJson(req.scope, await getCertificateContacts(req.scope)),
  );
  app.put("/certificates/contacts", need("managecontacts"), async (req) =>
    contactsJson(req.scope, await setCertificateContacts(req.scope, readContacts(jsonBody(req)))),
  );
  app.delete("/certificates/contacts", need("managecontacts"), async (req) =>
    contactsJson(req.scope, await deleteCertificateContacts(req.scope)),
  );
  app.get<Route>(ISSUERS_PATH, need("listissuers", "manageissuers"), async (req) => {
    const page = readPageRequest(req.query);
    return pageResponse(req.scope, ISSUERS_PATH, page, await getCertificateIssuers(req.scope, page), (r) =>
      issuerItem(req.scope, r),
    );
  });
  app.get<Issuer>("/certificates/issuers/:issuer", need("getissuers", "manageissuers"), async (req) =>
    issuerBundle(req.scope, await getCertificateIssuer(req.scope, req.params.issuer)),
  );
  app.put<Issuer>("/certificates/issuers/:issuer", need("setissuers", "manageissuers"), async (req) =>
    issuerBundle(req.scope, await setCertificateIssuer(req.scope, req.params.issuer, readIssuer(jsonBody(req)))),
  );
  app.patch<Issuer>("/certificates/issuers/:issuer", need("setissuers", "manageissuers"), async (req) =>
    issuerBundle(req.scope, await setCertificateIssuer(req.scope, req.params.issuer, readIssuer(jsonBody(req)), true)),
  );
  app.delete<Issuer>("/certificates/issuers/:issuer", need("deleteissuers", "manageissuers"), async (req) =>
    issuerBundle(req.scope, await deleteCertificateIssuer(req.scope, req.params.issuer)),
  );

  app.get<Route>("/certificates", need("list"), async (req) => {
    const includePending = req.query.includePending === "true";
    return searchableList(
      req.scope,
      req.query,
      { collection: CERTIFICATES, deleted: false, pathQuery: includePending ? "&includePending=true" : "" },
      (scope, page) => getCertificates(scope, page, includePending),
      certificateListItem,
    );
  });
  app.post<Named>("/certificates/:name/create", need("create"), async (req, reply) => {
    const op = await createCertificate(req.scope, req.params.name, await readCreateCertificate(jsonBody(req)));
    return reply.code(202).send(operationJson(req.scope, req.params.name, op));
  });
  app.post<Named>("/certificates/:name/import", need("import"), async (req) =>
    certificateBundle(
      req.scope,
      await importCertificate(req.scope, req.params.name, await readImportCertificate(jsonBody(req))),
    ),
  );
  app.get<Named>("/certificates/:name/pending", need("get"), async (req) =>
    operationJson(req.scope, req.params.name, await getCertificateOperation(req.scope, req.params.name)),
  );
  app.patch<Named>("/certificates/:name/pending", need("update"), async (req) =>
    operationJson(
      req.scope,
      req.params.name,
      await updateCertificateOperation(req.scope, req.params.name, readCancellation(jsonBody(req))),
    ),
  );
  app.delete<Named>("/certificates/:name/pending", need("delete"), async (req) =>
    operationJson(req.scope, req.params.name, await deleteCertificateOperation(req.scope, req.params.name)),
  );
  app.post<Named>("/certificates/:name/pending/merge", need("create"), async (req, reply) => {
    const merged = await mergeCertificate(req.scope, req.params.name, readMergeCertificate(jsonBody(req)));
    return reply.code(201).send(certificateBundle(req.scope, merged));
  });
  app.get<Named>("/certificates/:name/policy", need("get"), async (req) =>
    policyJson(req.scope, req.params.name, await getCertificatePolicy(req.scope, req.params.name)),
  );
  app.patch<Named>("/certificates/:name/policy", need("update"), async (req) =>
    policyJson(
      req.scope,
      req.params.name,
      await updateCertificatePolicy(req.scope, req.params.name, await readUpdatePolicy(jsonBody(req))),
    ),
  );
  app.get<Named>("/certificates/:name/versions", need("list"), async (req) => {
    const { name } = req.params;
    const page = readPageRequest(req.query);
    const versions = await getCertificateVersions(req.scope, name, page);
    return pageResponse(req.scope, `/${COLLECTION}/${name}/versions`, page, versions, (v) =>
      certificateItem(req.scope, v, true),
    );
  });
  app.get<Named>("/certificates/:name", need("get"), async (req) =>
    certificateBundle(req.scope, await getCertificate(req.scope, req.params.name)),
  );
  app.get<Versioned>("/certificates/:name/:version", need("get"), async (req) =>
    certificateBundle(req.scope, await getCertificate(req.scope, req.params.name, req.params.version)),
  );
  app.patch<Named>("/certificates/:name", need("update"), async (req) =>
    certificateBundle(
      req.scope,
      await updateCertificate(req.scope, req.params.name, undefined, await readUpdateCertificate(jsonBody(req))),
    ),
  );
  app.patch<Versioned>("/certificates/:name/:version", need("update"), async (req) =>
    certificateBundle(
      req.scope,
      await updateCertificate(
        req.scope,
        req.params.name,
        req.params.version,
        await readUpdateCertificate(jsonBody(req)),
      ),
    ),
  );
  app.delete<Named>("/certificates/:name", need("delete"), async (req) =>
    deletedCertificateBundle(req.scope, await deleteCertificate(req.scope, req.params.name)),
  );
  app.post<Named>("/certificates/:name/backup", need("backup"), async (req) => ({
    value: await backupCertificate(req.scope, req.params.name),
  }));
  app.post("/certificates/restore", restoreRoute(need("restore")), async (req) =>
    certificateBundle(req.scope, await restoreCertificate(req.scope, jsonBody(req).value)),
  );

  app.get<Route>("/deletedcertificates", need("list"), async (req) =>
    searchableList(
      req.scope,
      req.query,
      { collection: CERTIFICATES, deleted: true },
      getDeletedCertificates,
      deletedCertificateItem,
    ),
  );
  app.get<Named>("/deletedcertificates/:name", need("get"), async (req) =>
    deletedCertificateBundle(req.scope, await getDeletedCertificate(req.scope, req.params.name)),
  );
  app.post<Named>("/deletedcertificates/:name/recover", need("recover"), async (req) =>
    certificateBundle(req.scope, await recoverDeletedCertificate(req.scope, req.params.name)),
  );
  app.delete<Named>("/deletedcertificates/:name", need("purge"), async (req, reply) => {
    await purgeDeletedCertificate(req.scope, req.params.name);
    return reply.code(204).send();
  });
}
