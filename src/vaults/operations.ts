// Vault management: what ARM's Microsoft.KeyVault/vaults operations do to the store.
import { accessPolicyChanged } from "../events/model.js";
import { publishEvent } from "../events/publish.js";
import { randomUUID } from "node:crypto";
import { mergePolicy, type AccessPolicyEntry } from "../authorization/access-policies.js";
import { deleteRoleAssignmentsOfVault } from "../authorization/role-assignments.js";
import { normalizePermissions, PERMISSIONS, type Collection } from "../http/permissions.js";
import { badParameter, KeyVaultError } from "../http/errors.js";
import type { Store } from "../store/store.js";
import { invalidateVault } from "./cache.js";
import { DEFAULT_RETENTION_DAYS, VAULT_NAME_PATTERN, type Vault, type VaultProperties } from "./model.js";

export const DEFAULT_RESOURCE_GROUP = "kluis";
export const DEFAULT_LOCATION = "local";

export interface VaultInput {
  location?: string;
  tags?: Record<string, string>;
  /** createMode "recover" brings a soft-deleted vault back, as in ARM. */
  properties?: Partial<VaultProperties> & { createMode?: "default" | "recover" };
}

const vaultNotFound = (name: string) =>
  new KeyVaultError(404, "ResourceNotFound", `The Resource 'Microsoft.KeyVault/vaults/${name}' was not found.`);

/** The live vault of that name, in whichever group it lives. */
export async function getVault(store: Store, name: string): Promise<Vault> {
  const vault = await store.vaults.get<VaultProperties>(name.toLowerCase());
  if (!vault) throw vaultNotFound(name);
  return vault;
}

const BOOLEAN_PROPERTIES = [
  "enabledForDeployment",
  "enabledForDiskEncryption",
  "enabledForTemplateDeployment",
  "enableRbacAuthorization",
  "enablePurgeProtection",
] as const;

/** ARM answers a property of the wrong type with 400; nothing of such a request is stored. */
function checkVaultInput(input: unknown): VaultInput {
  const isObject = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(input)) throw badParameter("The request body must be a JSON object.");
  const { location, tags, properties: p } = input as VaultInput;
  if (location !== undefined && typeof location !== "string") throw badParameter("location must be a string.");
  if (tags !== undefined && (!isObject(tags) || Object.values(tags).some((t) => typeof t !== "string")))
    throw badParameter("tags must be an object of strings.");
  if (p === undefined) return input as VaultInput;
  if (!isObject(p)) throw badParameter("properties must be an object.");
  for (const key of BOOLEAN_PROPERTIES) {
    if (p[key] !== undefined && typeof p[key] !== "boolean") throw badParameter(`properties.${key} must be a boolean.`);
  }
  if (p.accessPolicies !== undefined && !Array.isArray(p.accessPolicies))
    throw badParameter("properties.accessPolicies must be an array.");
  if (p.sku !== undefined && (!isObject(p.sku) || !["standard", "premium"].includes(p.sku.name)))
    throw badParameter("properties.sku.name must be standard or premium.");
  if (p.publicNetworkAccess !== undefined && !["Enabled", "Disabled"].includes(p.publicNetworkAccess))
    throw badParameter("properties.publicNetworkAccess must be Enabled or Disabled.");
  if (p.createMode !== undefined && !["default", "recover"].includes(p.createMode))
    throw badParameter("properties.createMode must be default or recover.");
  return input as VaultInput;
}

/** PUT semantics: creates the vault, or replaces the given properties of an existing one. */
export async function createOrUpdateVault(
  store: Store,
  tenantId: string,
  resourceGroup: string,
  name: string,
  /** The request's body, checked here. */
  input: unknown,
  /** A new vault's enableRbacAuthorization when the request leaves it out (ARM's default depends on its api-version). */
  rbacByDefault = false,
): Promise<Vault> {
  if (!VAULT_NAME_PATTERN.test(name)) throw badParameter(nameInvalid("vault", name).message);
  const checked = checkVaultInput(input);
  const p = checked.properties ?? {};
  const retention = p.softDeleteRetentionInDays ?? DEFAULT_RETENTION_DAYS;
  if (!Number.isInteger(retention) || retention < 7 || retention > 90) {
    throw badParameter("softDeleteRetentionInDays must be an integer between 7 and 90.");
  }
  const written = await store.transaction(async (tx) => {
    const deleted = await tx.vaults.get<VaultProperties>(name.toLowerCase(), true);
    if (deleted && p.createMode !== "recover") {
      throw new KeyVaultError(
        409,
        "ConflictError",
        `A vault with the same name already exists in deleted state. You need to either recover or purge existing key vault. Follow this link https://go.microsoft.com/fwlink/?linkid=2149745 for more information on soft delete.`,
      );
    }
    if (p.createMode === "recover") {
      if (!deleted) throw new KeyVaultError(404, "ResourceNotFound", `The vault '${name}' is not in a deleted state.`);
      await tx.vaults.setDeleted(deleted.name, null, null);
    }
    const existing = await tx.vaults.get<VaultProperties>(name.toLowerCase());
    if (existing && existing.resourceGroup !== resourceGroup) {
      throw new KeyVaultError(409, "VaultAlreadyExists", `The vault name '${name}' is already in use.`);
    }
    if (
      existing &&
      p.softDeleteRetentionInDays !== undefined &&
      p.softDeleteRetentionInDays !== existing.properties.softDeleteRetentionInDays
    ) {
      throw badParameter("softDeleteRetentionInDays cannot be changed once the vault exists.");
    }
    // Purge protection, once on, cannot be turned off: Azure answers an explicit false with this 400.
    if (existing?.properties.enablePurgeProtection && p.enablePurgeProtection === false) {
      throw new KeyVaultError(
        400,
        "BadRequest",
        `The property "enablePurgeProtection" cannot be set to false. Enabling the purge protection for a vault is an irreversible action.`,
      );
    }
    const properties: VaultProperties = {
      tenantId,
      sku: p.sku ?? existing?.properties.sku ?? { family: "A", name: "standard" },
      accessPolicies: (p.accessPolicies ?? existing?.properties.accessPolicies ?? []).map(checkEntry),
      enabledForDeployment: p.enabledForDeployment ?? existing?.properties.enabledForDeployment ?? false,
      enabledForDiskEncryption: p.enabledForDiskEncryption ?? existing?.properties.enabledForDiskEncryption ?? false,
      enabledForTemplateDeployment:
        p.enabledForTemplateDeployment ?? existing?.properties.enabledForTemplateDeployment ?? false,
      enableSoftDelete: true,
      softDeleteRetentionInDays: existing?.properties.softDeleteRetentionInDays ?? retention,
      enableRbacAuthorization:
        p.enableRbacAuthorization ?? existing?.properties.enableRbacAuthorization ?? rbacByDefault,
      ...((p.enablePurgeProtection ?? existing?.properties.enablePurgeProtection)
        ? { enablePurgeProtection: true }
        : {}),
      publicNetworkAccess: p.publicNetworkAccess ?? existing?.properties.publicNetworkAccess ?? "Enabled",
    };
    const vault: Vault = {
      name: name.toLowerCase(),
      id: existing?.id ?? randomUUID(),
      location: existing?.location ?? checked.location ?? DEFAULT_LOCATION,
      resourceGroup,
      properties,
      tags: checked.tags ?? existing?.tags ?? {},
      createdAt: existing?.createdAt ?? Date.now(),
    };
    await tx.vaults.put(vault);
    // Event Grid's VaultAccessPolicyChanged: the policies changed, or the vault moved to or from RBAC.
    if (
      existing &&
      (JSON.stringify(existing.properties.accessPolicies) !== JSON.stringify(properties.accessPolicies) ||
        existing.properties.enableRbacAuthorization !== properties.enableRbacAuthorization)
    )
      await publishEvent(tx, vault.name, () => accessPolicyChanged(vault.name, Date.now()));
    return vault;
  });
  invalidateVault(store, name);
  return written;
}

/** ARM's CheckNameAvailability: vault names are global, and a soft-deleted vault still holds its name. */
export async function checkNameAvailability(store: Store, input: { name?: unknown; type?: unknown }) {
  if (typeof input.name !== "string") throw badParameter("name must be a string.");
  if (input.type !== "Microsoft.KeyVault/vaults") throw badParameter("type must be 'Microsoft.KeyVault/vaults'.");
  const name = input.name;
  if (!VAULT_NAME_PATTERN.test(name)) return nameInvalid("vault", name);
  const taken = (await store.vaults.get(name.toLowerCase())) ?? (await store.vaults.get(name.toLowerCase(), true));
  return taken
    ? {
        nameAvailable: false,
        reason: "AlreadyExists",
        message: `The vault name '${name}' is already in use. Vault names are globally unique so it is possible that the name is already taken.`,
      }
    : { nameAvailable: true };
}

/**
 * CheckMhsmNameAvailability (what `az keyvault check-name` asks): managed HSM names follow the vaults' rule; Kluis has
 * no managed HSMs, so a valid name is free.
 */
export function checkManagedHsmNameAvailability(input: { name?: unknown }) {
  if (typeof input.name !== "string") throw badParameter("name must be a string.");
  return VAULT_NAME_PATTERN.test(input.name) ? { nameAvailable: true } : nameInvalid("managed HSM", input.name);
}

/** A name-availability answer for a name that breaks the naming rule. */
const nameInvalid = (kind: "vault" | "managed HSM", name: string) => ({
  nameAvailable: false,
  reason: "AccountNameInvalid",
  message: `The ${kind} name '${name}' is invalid. A ${kind}'s name must be between 3-24 alphanumeric characters. The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens.`,
});

/** Soft delete: the vault and everything in it stay recoverable for its retention period. */
export async function deleteVault(store: Store, name: string): Promise<void> {
  const vault = await getVault(store, name);
  const now = Date.now();
  await store.vaults.setDeleted(vault.name, now, now + vault.properties.softDeleteRetentionInDays * 24 * 3600 * 1000);
  invalidateVault(store, name);
}

export async function getDeletedVault(store: Store, name: string): Promise<Vault> {
  const vault = await store.vaults.get<VaultProperties>(name.toLowerCase(), true);
  if (!vault)
    throw new KeyVaultError(
      404,
      "ResourceNotFound",
      `The Resource 'Microsoft.KeyVault/deletedVaults/${name}' was not found.`,
    );
  return vault;
}

/**
 * Purge: the deleted vault, everything in it and the role assignments at it or under it are gone for good (refused
 * while purge protection is on), so that a new vault of that name starts with no one's roles.
 */
export async function purgeDeletedVault(store: Store, name: string): Promise<void> {
  const vault = await getDeletedVault(store, name);
  if (vault.properties.enablePurgeProtection) {
    throw new KeyVaultError(
      409,
      "Conflict",
      `Vault '${vault.name}' has purge protection enabled; it is purged when its retention period ends.`,
    );
  }
  await store.vaults.delete(vault.name);
  await deleteRoleAssignmentsOfVault(store, vault.name);
}

export type AccessPolicyOperation = "add" | "replace" | "remove";
export const isAccessPolicyOperation = (operation: string): operation is AccessPolicyOperation =>
  operation === "add" || operation === "replace" || operation === "remove";

/** ARM's accessPolicies/{add|replace|remove}: add unions permissions, replace overwrites an entry, remove drops it. */
export async function updateAccessPolicy(
  store: Store,
  name: string,
  operation: AccessPolicyOperation,
  entries: AccessPolicyEntry[],
): Promise<Vault> {
  const result = await store.transaction(async (tx) => {
    const vault = await getVault(tx, name);
    let policies = vault.properties.accessPolicies;
    for (const entry of entries.map(checkEntry)) {
      if (operation === "add") policies = mergePolicy(policies, entry);
      else policies = policies.filter((p) => p.objectId !== entry.objectId);
      if (operation === "replace") policies = [...policies, entry];
    }
    const updated: Vault = { ...vault, properties: { ...vault.properties, accessPolicies: policies } };
    await tx.vaults.put(updated);
    await publishEvent(tx, vault.name, () => accessPolicyChanged(vault.name, Date.now()));
    return updated;
  });
  invalidateVault(store, name);
  return result;
}

/** Validates one access-policy entry, lower-casing permission names; unknown names are a 400. */
function checkEntry(entry: AccessPolicyEntry): AccessPolicyEntry {
  if (!entry || typeof entry.objectId !== "string" || entry.objectId === "") {
    throw badParameter("Each access policy needs an objectId.");
  }
  const permissions: AccessPolicyEntry["permissions"] = {};
  for (const collection of Object.keys(PERMISSIONS) as Collection[]) {
    const names = entry.permissions?.[collection];
    if (names === undefined) continue;
    if (!Array.isArray(names) || names.some((n) => typeof n !== "string"))
      throw badParameter(`permissions.${collection} must be an array of permission names.`);
    const { valid, unknown } = normalizePermissions(collection, names);
    if (unknown.length) throw badParameter(`Unknown ${collection} permission(s): ${unknown.join(", ")}.`);
    permissions[collection] = valid;
  }
  return {
    tenantId: entry.tenantId,
    objectId: entry.objectId,
    ...(entry.applicationId ? { applicationId: entry.applicationId } : {}),
    permissions,
  };
}

/** Every permission of every collection: what the administrator gets on the vaults it creates. */
export function allPermissions(): AccessPolicyEntry["permissions"] {
  const all: AccessPolicyEntry["permissions"] = {};
  for (const collection of Object.keys(PERMISSIONS) as Collection[]) {
    all[collection] = PERMISSIONS[collection].filter((p) => p !== "all");
  }
  return all;
}
