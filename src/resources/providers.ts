// ARM's resource providers (Providers - List, Get, Register): the namespaces whose resource types this server serves,
// always registered. Tools ask for them before they act: `az provider register -n Microsoft.KeyVault` in set-up
// scripts, `az resource show --ids` for a type's api-versions, Terraform's azurerm for the registration states.
import { KeyVaultError } from "../http/errors.js";

interface ResourceType {
  resourceType: string;
  apiVersions: string[];
  /** Azure's capability list of the type; Kluis moves no resource between groups or subscriptions. */
  capabilities?: string;
}

const KEY_VAULT_VERSIONS = [
  "2026-02-01",
  "2025-05-01",
  "2024-11-01",
  "2023-07-01",
  "2023-02-01",
  "2022-11-01",
  "2022-07-01",
  "2021-10-01",
  "2019-09-01",
  "2018-02-14",
  "2016-10-01",
  "2015-06-01",
];
const AUTHORIZATION_VERSIONS = ["2022-04-01", "2015-07-01"];

/** What Kluis serves of each namespace (docs/management.md). Locations are not listed: a vault may be in any. */
const PROVIDERS: Record<string, ResourceType[]> = {
  "Microsoft.KeyVault": [
    { resourceType: "vaults", apiVersions: KEY_VAULT_VERSIONS, capabilities: "SupportsTags, SupportsLocation" },
    { resourceType: "vaults/accessPolicies", apiVersions: KEY_VAULT_VERSIONS },
    { resourceType: "deletedVaults", apiVersions: KEY_VAULT_VERSIONS },
    { resourceType: "locations/deletedVaults", apiVersions: KEY_VAULT_VERSIONS },
    { resourceType: "checkNameAvailability", apiVersions: KEY_VAULT_VERSIONS },
  ],
  "Microsoft.Authorization": [
    { resourceType: "roleAssignments", apiVersions: AUTHORIZATION_VERSIONS },
    { resourceType: "roleDefinitions", apiVersions: AUTHORIZATION_VERSIONS },
  ],
  "Microsoft.EventGrid": [
    { resourceType: "eventSubscriptions", apiVersions: ["2025-02-15", "2022-06-15", "2021-12-01", "2020-06-01"] },
  ],
};

/** The namespaces, as ARM spells them. */
export const PROVIDER_NAMESPACES = Object.keys(PROVIDERS);

function toArmProvider(subscriptionId: string, namespace: string) {
  return {
    id: `/subscriptions/${subscriptionId}/providers/${namespace}`,
    namespace,
    registrationState: "Registered",
    registrationPolicy: "RegistrationRequired",
    resourceTypes: PROVIDERS[namespace]!.map((type) => ({ ...type, locations: [] })),
  };
}

/** Providers - List. */
export function listProviders(subscriptionId: string) {
  return { value: PROVIDER_NAMESPACES.map((namespace) => toArmProvider(subscriptionId, namespace)) };
}

/** Providers - Get, and Register (a namespace Kluis serves is always registered): ARM's 404 for any other. */
export function getProvider(subscriptionId: string, namespace: string) {
  const known = PROVIDER_NAMESPACES.find((n) => n.toLowerCase() === namespace.toLowerCase());
  if (!known)
    throw new KeyVaultError(404, "InvalidResourceNamespace", `The resource namespace '${namespace}' is invalid.`);
  return toArmProvider(subscriptionId, known);
}
