// A vault as Azure Resource Manager describes Microsoft.KeyVault/vaults, and the settings data-plane code reads from it.
import type { AccessPolicyEntry } from "../authorization/access-policies.js";
import { vaultResourceId } from "../http/arm.js";
import type { VaultRecord } from "../store/repositories/vaults.js";

export interface VaultProperties {
  tenantId: string;
  sku: { family: "A"; name: "standard" | "premium" };
  accessPolicies: AccessPolicyEntry[];
  enabledForDeployment: boolean;
  enabledForDiskEncryption: boolean;
  enabledForTemplateDeployment: boolean;
  enableSoftDelete: true;
  softDeleteRetentionInDays: number;
  enableRbacAuthorization: boolean;
  enablePurgeProtection?: boolean;
  publicNetworkAccess: "Enabled" | "Disabled";
}

export type Vault = VaultRecord<VaultProperties>;

export const DEFAULT_RETENTION_DAYS = 90;
export const VAULT_NAME_PATTERN = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;

/** Key Vault's recovery level, from the vault's retention and purge protection. */
export function recoveryLevel(vault: Vault): string {
  const { softDeleteRetentionInDays: days, enablePurgeProtection } = vault.properties;
  const base = days < DEFAULT_RETENTION_DAYS ? "CustomizedRecoverable" : "Recoverable";
  return enablePurgeProtection ? base : `${base}+Purgeable`;
}

/** A vault as ARM's generic resource (what `/resources` lists): id, name, type, location, tags. */
export function toGenericVaultResource(subscriptionId: string, vault: Vault) {
  return {
    id: vaultResourceId(subscriptionId, vault),
    name: vault.name,
    type: "Microsoft.KeyVault/vaults",
    location: vault.location,
    tags: vault.tags,
  };
}

/** The ARM resource JSON for a vault. */
export function toArmVault(subscriptionId: string, vault: Vault) {
  const { deletedAt: _deletedAt, scheduledPurgeAt: _purgeAt, ...record } = vault;
  vault = record;
  return {
    ...toGenericVaultResource(subscriptionId, vault),
    systemData: { createdAt: new Date(vault.createdAt).toISOString() },
    properties: {
      ...vault.properties,
      vaultUri: `https://${vault.name}.vault.azure.net/`,
      provisioningState: "Succeeded",
    },
  };
}

/** The ARM resource JSON for a soft-deleted vault (Microsoft.KeyVault/deletedVaults). */
export function toArmDeletedVault(subscriptionId: string, vault: Vault) {
  return {
    id: `/subscriptions/${subscriptionId}/providers/Microsoft.KeyVault/locations/${vault.location}/deletedVaults/${vault.name}`,
    name: vault.name,
    type: "Microsoft.KeyVault/deletedVaults",
    properties: {
      vaultId: vaultResourceId(subscriptionId, vault),
      location: vault.location,
      deletionDate: new Date(vault.deletedAt!).toISOString(),
      scheduledPurgeDate: new Date(vault.scheduledPurgeAt!).toISOString(),
      tags: vault.tags,
      purgeProtectionEnabled: vault.properties.enablePurgeProtection ?? false,
    },
  };
}
