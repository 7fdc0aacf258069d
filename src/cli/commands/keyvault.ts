// `kluis keyvault create|show|update|list|delete|set-policy|delete-policy`, with `az keyvault`'s flag names.
import type { Command } from "commander";
import { normalizePermissions, type Collection } from "../../http/permissions.js";
import { allPermissions, DEFAULT_LOCATION, DEFAULT_RESOURCE_GROUP } from "../../vaults/operations.js";
import { booleanArgument, choiceArgument, integerArgument, tagsArgument } from "../arguments.js";
import { connect, withConnection, type ConnectionOptions } from "../client.js";
import { CliError } from "../errors.js";
import { Management } from "../management.js";
import { printResult } from "../output.js";
import { listIn, objectIn, stringIn, type JsonObject } from "../answers.js";

const PERMISSION_FLAGS: [Collection, string][] = [
  ["certificates", "certificatePermissions"],
  ["keys", "keyPermissions"],
  ["secrets", "secretPermissions"],
  ["storage", "storagePermissions"],
];

/** The vault properties `keyvault update` sets from flags of the same name (commander's camelCase). */
const UPDATABLE_PROPERTIES = [
  "enableRbacAuthorization",
  "enablePurgeProtection",
  "enabledForDeployment",
  "enabledForDiskEncryption",
  "enabledForTemplateDeployment",
  "publicNetworkAccess",
] as const;

const resourceGroupOf = (id: string) => /\/resourceGroups\/([^/]+)/i.exec(id)?.[1] ?? null;

/** A vault as az prints it: ARM's resource plus the resourceGroup az adds from its id. */
function azVault(vault: unknown): JsonObject {
  return { ...objectIn(vault), resourceGroup: resourceGroupOf(stringIn(vault, "id")) };
}

export function keyvaultCommands(program: Command): Command {
  const kv = program.command("keyvault").description("Manage vaults and their contents");
  const mgmt = (o: ConnectionOptions) => new Management(connect(o));

  withConnection(kv.command("create"))
    .description("Create a vault; who creates it (the signed-in identity) gets every permission on it")
    .requiredOption("-n, --name <name>", "vault name")
    .option("-g, --resource-group <group>", "resource group", DEFAULT_RESOURCE_GROUP)
    .option("-l, --location <location>", "location", DEFAULT_LOCATION)
    .option("--retention-days <days>", "soft-delete retention in days (7-90)", Number, 90)
    .option("--enable-purge-protection <bool>", "turn purge protection on", (v) => v === "true")
    .option(
      "--enable-rbac-authorization <bool>",
      "use role-based access instead of access policies",
      (v) => v === "true",
    )
    .addHelpText("after", "\nExample:\n  kluis keyvault create --name myvault --resource-group myrg")
    .action(async (o) => {
      const m = mgmt(o);
      const creator = await m.signedInObjectId();
      printResult(
        azVault(
          await m.call("PUT", await m.vaultPath(o.name, o.resourceGroup), {
            location: o.location,
            properties: {
              sku: { family: "A", name: "standard" },
              tenantId: m.conn.tenantId,
              softDeleteRetentionInDays: o.retentionDays,
              ...(o.enablePurgeProtection ? { enablePurgeProtection: true } : {}),
              ...(o.enableRbacAuthorization ? { enableRbacAuthorization: true } : {}),
              accessPolicies: [{ tenantId: m.conn.tenantId, objectId: creator, permissions: allPermissions() }],
            },
          }),
        ),
      );
    });

  withConnection(kv.command("show"))
    .description("Show a vault")
    .requiredOption("-n, --name <name>", "vault name")
    .addHelpText("after", "\nExample:\n  kluis keyvault show --name myvault")
    .action(async (o) => printResult(azVault(await mgmt(o).findVault(o.name))));

  withConnection(kv.command("update"))
    .description("Update a vault's properties or tags")
    .requiredOption("-n, --name <name>", "vault name")
    .option("-g, --resource-group <group>", "proceed only if the vault is in this resource group")
    .option(
      "--enable-rbac-authorization <bool>",
      "use role-based access instead of access policies",
      booleanArgument("--enable-rbac-authorization"),
    )
    .option(
      "--enable-purge-protection <bool>",
      "purge protection (irreversible: once on, it stays on)",
      booleanArgument("--enable-purge-protection"),
    )
    .option(
      "--enabled-for-deployment <bool>",
      "let virtual machines retrieve certificates stored as secrets",
      booleanArgument("--enabled-for-deployment"),
    )
    .option(
      "--enabled-for-disk-encryption <bool>",
      "let Azure Disk Encryption retrieve secrets and unwrap keys",
      booleanArgument("--enabled-for-disk-encryption"),
    )
    .option(
      "--enabled-for-template-deployment <bool>",
      "let Resource Manager retrieve secrets",
      booleanArgument("--enabled-for-template-deployment"),
    )
    .option(
      "--public-network-access <access>",
      "Enabled or Disabled",
      choiceArgument("--public-network-access", ["Enabled", "Disabled"] as const),
    )
    .option(
      "--retention-days <days>",
      "soft-delete retention in days (fixed when the vault is created)",
      integerArgument("--retention-days"),
    )
    .option("--tags <tags...>", 'space-separated tags: key[=value] ...; replace the vault\'s tags; "" clears them')
    .addHelpText(
      "after",
      "\nExample:\n  kluis keyvault update --name myvault --enable-rbac-authorization true --tags env=prod",
    )
    .action(async (o) => {
      const m = mgmt(o);
      const vault = await m.findVault(o.name);
      if (o.resourceGroup && resourceGroupOf(vault.id)?.toLowerCase() !== o.resourceGroup.toLowerCase()) {
        throw new CliError(
          `The Resource 'Microsoft.KeyVault/vaults/${o.name}' under resource group '${o.resourceGroup}' was not found.`,
        );
      }
      // PATCH sends only what changes; the server refuses what Azure refuses (retention, purge protection off).
      const properties: Record<string, unknown> = {};
      for (const key of UPDATABLE_PROPERTIES) if (o[key] !== undefined) properties[key] = o[key];
      if (o.retentionDays !== undefined) properties.softDeleteRetentionInDays = o.retentionDays;
      printResult(
        azVault(await m.call("PATCH", vault.id, { properties, ...(o.tags ? { tags: tagsArgument(o.tags) } : {}) })),
      );
    });

  withConnection(kv.command("list"))
    .description("List vaults")
    .option("-g, --resource-group <group>", "only this resource group")
    .addHelpText("after", "\nExample:\n  kluis keyvault list")
    .action(async (o) => {
      const m = mgmt(o);
      const sub = await m.subscriptionId();
      const path = o.resourceGroup
        ? `/subscriptions/${sub}/resourceGroups/${o.resourceGroup}/providers/Microsoft.KeyVault/vaults`
        : `/subscriptions/${sub}/providers/Microsoft.KeyVault/vaults`;
      printResult(listIn(await m.call("GET", path)).map(azVault));
    });

  withConnection(kv.command("delete"))
    .description("Delete a vault (soft delete: it and everything in it stay recoverable for its retention period)")
    .requiredOption("-n, --name <name>", "vault name")
    .addHelpText("after", "\nExample:\n  kluis keyvault delete --name myvault")
    .action(async (o) => {
      const m = mgmt(o);
      await m.call("DELETE", (await m.findVault(o.name)).id);
    });

  withConnection(kv.command("list-deleted"))
    .description("List soft-deleted vaults")
    .addHelpText("after", "\nExample:\n  kluis keyvault list-deleted")
    .action(async (o) => printResult(await mgmt(o).deletedVaults()));

  withConnection(kv.command("show-deleted"))
    .description("Show a soft-deleted vault")
    .requiredOption("-n, --name <name>", "vault name")
    .addHelpText("after", "\nExample:\n  kluis keyvault show-deleted --name myvault")
    .action(async (o) => printResult(await mgmt(o).findDeletedVault(o.name)));

  withConnection(kv.command("recover"))
    .description("Recover a soft-deleted vault with everything in it")
    .requiredOption("-n, --name <name>", "vault name")
    .addHelpText("after", "\nExample:\n  kluis keyvault recover --name myvault")
    .action(async (o) => {
      const m = mgmt(o);
      const deleted = await m.findDeletedVault(o.name);
      const recovered = await m.call("PUT", deleted.properties.vaultId, {
        location: deleted.properties.location,
        properties: { createMode: "recover", tenantId: m.conn.tenantId, sku: { family: "A", name: "standard" } },
      });
      printResult(azVault(recovered));
    });

  withConnection(kv.command("purge"))
    .description("Permanently delete a soft-deleted vault and everything in it")
    .requiredOption("-n, --name <name>", "vault name")
    .option("-l, --location <location>", "the deleted vault's location")
    .addHelpText("after", "\nExample:\n  kluis keyvault purge --name myvault")
    .action(async (o) => {
      const m = mgmt(o);
      await m.call("POST", `${(await m.findDeletedVault(o.name)).id}/purge`);
    });

  const principalOptions = (cmd: Command) =>
    cmd
      .requiredOption("-n, --name <name>", "vault name")
      .option("--spn <appId>", "service principal application id")
      .option("--object-id <id>", "principal object id");

  const resolveObjectId = async (m: Management, o: { spn?: string; objectId?: string }) => {
    if (o.objectId) return o.objectId;
    if (o.spn) return (await m.servicePrincipal(o.spn)).id;
    throw new CliError("One of --spn or --object-id is required.");
  };

  principalOptions(withConnection(kv.command("set-policy")))
    .description("Grant permissions to a principal")
    .option("--certificate-permissions <perms...>", "certificate permissions")
    .option("--key-permissions <perms...>", "key permissions")
    .option("--secret-permissions <perms...>", "secret permissions")
    .option("--storage-permissions <perms...>", "storage permissions")
    .addHelpText(
      "after",
      "\nExample:\n  kluis keyvault set-policy --name myvault --spn APPID --certificate-permissions get list create delete",
    )
    .action(async (o) => {
      const m = mgmt(o);
      const permissions: Partial<Record<Collection, string[]>> = {};
      for (const [collection, flag] of PERMISSION_FLAGS) {
        if (!o[flag]) continue;
        const { valid, unknown } = normalizePermissions(collection, o[flag] as string[]);
        if (unknown.length) throw new CliError(`unknown ${collection} permission(s): ${unknown.join(", ")}`);
        permissions[collection] = valid;
      }
      if (Object.keys(permissions).length === 0)
        throw new CliError("Give at least one of --certificate-permissions, --key-permissions, --secret-permissions.");
      const vault = await m.findVault(o.name);
      const objectId = await resolveObjectId(m, o);
      await m.call("PUT", `${vault.id}/accessPolicies/add`, {
        properties: { accessPolicies: [{ tenantId: m.conn.tenantId, objectId, permissions }] },
      });
      printResult(azVault(await m.findVault(o.name)));
    });

  principalOptions(withConnection(kv.command("delete-policy")))
    .description("Remove a principal's access policy")
    .addHelpText("after", "\nExample:\n  kluis keyvault delete-policy --name myvault --spn APPID")
    .action(async (o) => {
      const m = mgmt(o);
      const vault = await m.findVault(o.name);
      const objectId = await resolveObjectId(m, o);
      await m.call("PUT", `${vault.id}/accessPolicies/remove`, {
        properties: { accessPolicies: [{ tenantId: m.conn.tenantId, objectId, permissions: {} }] },
      });
      printResult(azVault(await m.findVault(o.name)));
    });

  return kv;
}
