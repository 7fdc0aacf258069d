// Key Vault's AuditEvent operation names (Azure Monitor's AZKVAuditLogs: SecretGet, KeySign, CertificateCreate,
// VaultPut, ...), read from what each route already declares: its method and path on the data plane, its ARM action on
// the management plane. A route with neither is not audited (the token endpoint, health probes, Graph).
import type { FastifyRequest } from "fastify";

const DATA_PLANE: Record<string, string> = {
  "GET /secrets": "SecretList",
  "POST /secrets/restore": "SecretRestore",
  "PUT /secrets/:name": "SecretSet",
  "GET /secrets/:name/versions": "SecretListVersions",
  "GET /secrets/:name": "SecretGet",
  "GET /secrets/:name/:version": "SecretGet",
  "PATCH /secrets/:name": "SecretUpdate",
  "PATCH /secrets/:name/:version": "SecretUpdate",
  "DELETE /secrets/:name": "SecretDelete",
  "POST /secrets/:name/backup": "SecretBackup",
  "GET /deletedsecrets": "SecretListDeleted",
  "GET /deletedsecrets/:name": "SecretGetDeleted",
  "POST /deletedsecrets/:name/recover": "SecretRecover",
  "DELETE /deletedsecrets/:name": "SecretPurge",

  "GET /keys": "KeyList",
  "POST /rng": "KeyGetRandomBytes",
  "POST /keys/:name/create": "KeyCreate",
  "PUT /keys/:name": "KeyImport",
  "POST /keys/restore": "KeyRestore",
  "POST /keys/:name/backup": "KeyBackup",
  "POST /keys/:name/rotate": "KeyRotate",
  "GET /keys/:name/rotationpolicy": "KeyGetRotationPolicy",
  "PUT /keys/:name/rotationpolicy": "KeySetRotationPolicy",
  "GET /keys/:name/versions": "KeyListVersions",
  "GET /keys/:name": "KeyGet",
  "GET /keys/:name/:version": "KeyGet",
  "PATCH /keys/:name": "KeyUpdate",
  "PATCH /keys/:name/:version": "KeyUpdate",
  "DELETE /keys/:name": "KeyDelete",
  "GET /deletedkeys": "KeyListDeleted",
  "GET /deletedkeys/:name": "KeyGetDeleted",
  "POST /deletedkeys/:name/recover": "KeyRecover",
  "DELETE /deletedkeys/:name": "KeyPurge",

  "GET /certificates/contacts": "CertificateContactsGet",
  "PUT /certificates/contacts": "CertificateContactsSet",
  "DELETE /certificates/contacts": "CertificateContactsDelete",
  "GET /certificates/issuers": "CertificateIssuersList",
  "GET /certificates/issuers/:issuer": "CertificateIssuerGet",
  "PUT /certificates/issuers/:issuer": "CertificateIssuerCreate",
  "PATCH /certificates/issuers/:issuer": "CertificateIssuerUpdate",
  "DELETE /certificates/issuers/:issuer": "CertificateIssuerDelete",
  "GET /certificates": "CertificateList",
  "POST /certificates/:name/create": "CertificateCreate",
  "POST /certificates/:name/import": "CertificateImport",
  "GET /certificates/:name/pending": "CertificatePendingGet",
  "PATCH /certificates/:name/pending": "CertificatePendingUpdate",
  "DELETE /certificates/:name/pending": "CertificatePendingDelete",
  "POST /certificates/:name/pending/merge": "CertificatePendingMerge",
  "GET /certificates/:name/policy": "CertificatePolicyGet",
  "PATCH /certificates/:name/policy": "CertificatePolicyUpdate",
  "GET /certificates/:name/versions": "CertificateListVersions",
  "GET /certificates/:name": "CertificateGet",
  "GET /certificates/:name/:version": "CertificateGet",
  "PATCH /certificates/:name": "CertificateUpdate",
  "PATCH /certificates/:name/:version": "CertificateUpdate",
  "DELETE /certificates/:name": "CertificateDelete",
  "POST /certificates/:name/backup": "CertificateBackup",
  "POST /certificates/restore": "CertificateRestore",
  "GET /deletedcertificates": "CertificateListDeleted",
  "GET /deletedcertificates/:name": "CertificateGetDeleted",
  "POST /deletedcertificates/:name/recover": "CertificateRecover",
  "DELETE /deletedcertificates/:name": "CertificatePurge",
};

/** Key operations on a key (or a version of it): /keys/:name[/:version]/sign → KeySign. */
const KEY_OPERATIONS: Record<string, string> = {
  sign: "KeySign",
  verify: "KeyVerify",
  encrypt: "KeyEncrypt",
  decrypt: "KeyDecrypt",
  wrapkey: "KeyWrap",
  unwrapkey: "KeyUnwrap",
  release: "KeyRelease",
};

/** Vault management, by the ARM action the route declares and its method. */
const VAULT_ACTIONS: Record<string, string> = {
  "PUT Microsoft.KeyVault/vaults/write": "VaultPut",
  "PATCH Microsoft.KeyVault/vaults/write": "VaultPatch",
  "GET Microsoft.KeyVault/vaults/read": "VaultGet",
  "DELETE Microsoft.KeyVault/vaults/delete": "VaultDelete",
  "PUT Microsoft.KeyVault/vaults/accessPolicies/write": "VaultAccessPolicyUpdate",
  "GET Microsoft.KeyVault/vaults/read (list)": "VaultList",
  "GET Microsoft.KeyVault/locations/deletedVaults/read": "VaultGetDeleted",
  "GET Microsoft.KeyVault/locations/deletedVaults/read (list)": "VaultListDeleted",
  "POST Microsoft.KeyVault/locations/deletedVaults/purge/action": "VaultPurge",
};

export type AuditedPlane = "data" | "management" | "administration";

/** The operation a request performs, and on which plane; undefined for a request that is not audited. */
export function operationOf(req: FastifyRequest): { name: string; plane: AuditedPlane } | undefined {
  const { config, url: route, method } = req.routeOptions;
  if (config.permission) {
    const named = DATA_PLANE[`${method} ${route}`];
    if (named) return { name: named, plane: "data" };
    const op = /^\/keys\/:name(?:\/:version)?\/(\w+)$/.exec(route ?? "")?.[1];
    return { name: (op && KEY_OPERATIONS[op]) ?? `${method} ${route}`, plane: "data" };
  }
  const action = config.action ?? config.listing;
  if (action !== undefined) {
    const listing = config.listing !== undefined ? " (list)" : "";
    return { name: VAULT_ACTIONS[`${method} ${action}${listing}`] ?? action, plane: "management" };
  }
  // Kluis's own administrator routes (service principals, the audit log, the test clock) by their path.
  const area = /^\/kluis\/(\w+)/.exec(route ?? "")?.[1];
  if (area) return { name: `Kluis${capitalize(area)}${method === "GET" ? "Read" : "Write"}`, plane: "administration" };
  return undefined;
}

const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
