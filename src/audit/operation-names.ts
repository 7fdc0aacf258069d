// Key Vault's AuditEvent operation names (Azure Monitor's AZKVAuditLogs: SecretGet, KeySign, CertificateCreate,
// VaultPut, ...): a data-plane route's as http/operation-names.ts names it for every route (metrics use the same), a
// management route's from its ARM action. A route with neither is not audited (the token endpoint, health probes, Graph).
import type { FastifyRequest } from "fastify";
import { operationName } from "../metrics/operation-names.js";

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
  if (config.permission) return { name: operationName(req), plane: "data" };
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
