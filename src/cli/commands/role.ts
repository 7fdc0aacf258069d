// `kluis role assignment create|list|delete` and `kluis role definition create|list|delete`: Key Vault's built-in
// roles and custom ones, as `az role`.
import { existsSync } from "node:fs";
import type { Command } from "commander";
import { findRole } from "../../authorization/roles.js";
import { booleanArgument, jsonArgument } from "../arguments.js";
import { roleDefinitionIn, roleDefinitionOut } from "../az-models.js";
import { connect, withConnection, type ConnectionOptions } from "../client.js";
import { CliError } from "../errors.js";
import { Management } from "../management.js";
import { printResult } from "../output.js";
import { listIn, objectIn } from "../answers.js";

/** A role definition as az prints it. */
type AzRoleDefinition = { id: string; name: string; roleName: string; roleType: string } & Record<string, unknown>;

/** az's --role-definition: inline JSON, @file or, as az also takes it, the path of an existing file. */
function roleDefinitionArgument(value: string): Record<string, unknown> {
  const parsed = jsonArgument("--role-definition")(existsSync(value) ? `@${value}` : value);
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
    throw new CliError("Invalid role definition. A valid dictionary JSON representation is expected.");
  return parsed;
}

export function roleCommands(program: Command): void {
  const role = program
    .command("role")
    .description("Role-based access for vaults that use it (--enable-rbac-authorization)");
  const mgmt = (o: ConnectionOptions) => new Management(connect(o));
  const assignment = role.command("assignment").description("Manage role assignments");
  const definition = role
    .command("definition")
    .description("Role definitions: the built-in Key Vault roles and custom ones");

  /** The scope as az takes it: a resource id; a bare vault name is taken as that vault's id. */
  const scopeOf = async (m: Management, scope: string) =>
    scope.startsWith("/") ? scope : (await m.findVault(scope)).id;
  const principalOf = async (m: Management, assignee: string) => {
    try {
      return (await m.servicePrincipal(assignee)).id;
    } catch {
      return assignee; // already an object id
    }
  };
  const definitionsPath = async (m: Management) =>
    `/subscriptions/${await m.subscriptionId()}/providers/Microsoft.Authorization/roleDefinitions`;
  const definitions = async (m: Management) =>
    listIn(await m.call("GET", await definitionsPath(m))).map((d) => roleDefinitionOut(d) as AzRoleDefinition);
  /** The definition whose name (its GUID) or roleName is `nameOrId`. */
  const findDefinition = (all: AzRoleDefinition[], nameOrId: string) =>
    findRole(
      all.map((d) => ({ id: d.name, roleName: d.roleName, d })),
      nameOrId,
    )?.d;

  withConnection(assignment.command("create"))
    .description("Grant a Key Vault role, built-in or custom, to a principal at a scope")
    .requiredOption("--role <role>", 'role name or id, e.g. "Key Vault Secrets User" or a custom role\'s name')
    .requiredOption("--assignee <id>", "service principal application id or object id")
    .requiredOption(
      "--scope <scope>",
      "resource id of a secret, key or certificate, of the vault (or a vault name), resource group or subscription",
    )
    .addHelpText(
      "after",
      '\nExample:\n  kluis role assignment create --role "Key Vault Secrets User" --assignee APPID --scope /subscriptions/SUB/resourceGroups/kluis/providers/Microsoft.KeyVault/vaults/myvault' +
        '\n  kluis role assignment create --role "Key Vault Secrets User" --assignee APPID --scope /subscriptions/SUB/resourceGroups/kluis/providers/Microsoft.KeyVault/vaults/myvault/secrets/db-password',
    )
    .action(async (o) => {
      const m = mgmt(o);
      const found = findDefinition(await definitions(m), o.role);
      if (!found) throw new CliError(`Role '${o.role}' doesn't exist.`);
      const scope = await scopeOf(m, o.scope);
      printResult(
        await m.call("PUT", `${scope}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}`, {
          properties: {
            roleDefinitionId: found.id,
            principalId: await principalOf(m, o.assignee),
          },
        }),
      );
    });

  withConnection(assignment.command("list"))
    .description("List role assignments that apply at a scope")
    .requiredOption("--scope <scope>", "resource id or vault name")
    .addHelpText("after", "\nExample:\n  kluis role assignment list --scope myvault")
    .action(async (o) => {
      const m = mgmt(o);
      printResult(
        listIn(await m.call("GET", `${await scopeOf(m, o.scope)}/providers/Microsoft.Authorization/roleAssignments`)),
      );
    });

  withConnection(assignment.command("delete"))
    .description("Remove a role assignment")
    .requiredOption("--ids <id>", "the role assignment's resource id")
    .addHelpText(
      "after",
      "\nExample:\n  kluis role assignment delete --ids /subscriptions/SUB/providers/Microsoft.Authorization/roleAssignments/NAME",
    )
    .action(async (o) => {
      await mgmt(o).call("DELETE", o.ids);
    });

  withConnection(definition.command("create"))
    .description(
      "Create a custom role: Key Vault data actions (wildcards allowed) minus exclusions, assignable at the given scopes",
    )
    .requiredOption(
      "--role-definition <json>",
      "az's role definition JSON, inline, as @file.json or a file path",
      roleDefinitionArgument,
    )
    .addHelpText(
      "after",
      "\nExample:\n  kluis role definition create --role-definition @role.json\n" +
        '  role.json: {"Name": "Secret Reader No List", "Description": "Reads secret values", ' +
        '"DataActions": ["Microsoft.KeyVault/vaults/secrets/getSecret/action"], "NotDataActions": [], "AssignableScopes": ["/subscriptions/SUB"]}',
    )
    .action(async (o) => {
      const m = mgmt(o);
      printResult(
        roleDefinitionOut(
          objectIn(
            await m.call(
              "PUT",
              `${await definitionsPath(m)}/${crypto.randomUUID()}`,
              roleDefinitionIn(o.roleDefinition),
            ),
          ),
        ),
      );
    });

  withConnection(definition.command("list"))
    .description("List role definitions: the built-in Key Vault roles and custom ones")
    .option("--name <name>", "only the role of this name or id")
    .option("--custom-role-only [bool]", "only custom roles", booleanArgument("--custom-role-only"))
    .addHelpText("after", "\nExample:\n  kluis role definition list --custom-role-only -o table")
    .action(async (o) => {
      const all = await definitions(mgmt(o));
      const named = o.name === undefined ? all : [findDefinition(all, o.name)].filter((d) => d !== undefined);
      printResult(o.customRoleOnly ? named.filter((d) => d.roleType === "CustomRole") : named);
    });

  withConnection(definition.command("delete"))
    .description("Delete a custom role; refused while role assignments use it, and for built-in roles")
    .requiredOption("--name <name>", "the role's name or id")
    .addHelpText("after", '\nExample:\n  kluis role definition delete --name "Secret Reader No List"')
    .action(async (o) => {
      const m = mgmt(o);
      const found = findDefinition(await definitions(m), o.name);
      // As az: a name that matches no role deletes nothing, silently.
      if (found) await m.call("DELETE", found.id);
    });
}
