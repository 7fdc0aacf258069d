// Key Vault's AuditEvent operation names (Azure Monitor's AZKVAuditLogs: SecretGet, KeySign, CertificateCreate,
// VaultPut, ...): a data-plane route's as metrics/operation-names.ts names it for every route (metrics use the same), a
// management route's from its ARM action; sign-ins, Microsoft Graph's calls and requests no route matched by the names
// given there too. Other routes are not audited (health probes, OpenID metadata, keys, /metrics).
import type { FastifyRequest } from "fastify";
import { GRAPH_OPERATIONS, operationName, SIGN_IN_OPERATIONS, UNMATCHED } from "../metrics/operation-names.js";

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

export type AuditedPlane = "data" | "management" | "administration" | "sign-in" | "graph" | "unmatched";

const SIGN_INS = new Set(Object.values(SIGN_IN_OPERATIONS));
const GRAPH = new Set(Object.values(GRAPH_OPERATIONS));

/** The operation a request performs, and on which plane; undefined for a request that is not audited. */
export function operationOf(req: FastifyRequest): { name: string; plane: AuditedPlane } | undefined {
  const { config, url: route, method } = req.routeOptions;
  if (config.permission) return { name: operationName(req), plane: "data" };
  const name = operationName(req);
  if (SIGN_INS.has(name)) return { name, plane: "sign-in" };
  if (GRAPH.has(name)) return { name, plane: "graph" };
  if (name === UNMATCHED) return { name, plane: "unmatched" };
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
