// `kluis role assignment create|list|delete` and `kluis role definition list`: Key Vault's built-in roles, as `az role`.
import type { Command } from "commander";
import { findRole } from "../../authorization/roles.js";
import { CliError, connect, withConnection, type ConnectionOptions } from "../client.js";
import { Management } from "../management.js";
import { printResult } from "../output.js";

export function roleCommands(program: Command): void {
  const role = program.command("role").description("Role-based access for vaults that use it (--enable-rbac-authorization)");
  const mgmt = (o: ConnectionOptions) => new Management(connect(o));
  const assignment = role.command("assignment").description("Manage role assignments");

  /** The scope as az takes it: a resource id; a bare vault name is taken as that vault's id. */
  const scopeOf = async (m: Management, scope: string) => (scope.startsWith("/") ? scope : (await m.findVault(scope)).id);
  const principalOf = async (m: Management, assignee: string) => {
    try {
      return (await m.servicePrincipal(assignee)).id;
    } catch {
      return assignee; // already an object id
    }
  };

  withConnection(assignment.command("create"))
    .description("Grant a built-in Key Vault role to a principal at a scope")
    .requiredOption("--role <role>", "role name or id, e.g. \"Key Vault Secrets User\"")
    .requiredOption("--assignee <id>", "service principal application id or object id")
    .requiredOption("--scope <scope>", "resource id of a secret, key or certificate, of the vault (or a vault name), resource group or subscription")
    .addHelpText(
      "after",
      '\nExample:\n  kluis role assignment create --role "Key Vault Secrets User" --assignee APPID --scope /subscriptions/SUB/resourceGroups/kluis/providers/Microsoft.KeyVault/vaults/myvault' +
        '\n  kluis role assignment create --role "Key Vault Secrets User" --assignee APPID --scope /subscriptions/SUB/resourceGroups/kluis/providers/Microsoft.KeyVault/vaults/myvault/secrets/db-password',
    )
    .action(async (o) => {
      const definition = findRole(o.role);
      if (!definition) throw new CliError(`Role '${o.role}' doesn't exist.`);
      const m = mgmt(o);
      const scope = await scopeOf(m, o.scope);
      const sub = await m.subscriptionId();
      printResult(
        await m.call("PUT", `${scope}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}`, {
          properties: {
            roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${definition.id}`,
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
      printResult(((await m.call("GET", `${await scopeOf(m, o.scope)}/providers/Microsoft.Authorization/roleAssignments`)) as { value: unknown[] }).value);
    });

  withConnection(assignment.command("delete"))
    .description("Remove a role assignment")
    .requiredOption("--ids <id>", "the role assignment's resource id")
    .addHelpText("after", "\nExample:\n  kluis role assignment delete --ids /subscriptions/SUB/providers/Microsoft.Authorization/roleAssignments/NAME")
    .action(async (o) => {
      await mgmt(o).call("DELETE", o.ids);
    });

  withConnection(role.command("definition").description("Role definitions").command("list"))
    .description("List the built-in Key Vault roles")
    .addHelpText("after", "\nExample:\n  kluis role definition list")
    .action(async (o) => {
      const m = mgmt(o);
      printResult(((await m.call("GET", `/subscriptions/${await m.subscriptionId()}/providers/Microsoft.Authorization/roleDefinitions`)) as { value: unknown[] }).value);
    });
}
