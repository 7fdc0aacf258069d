// `kluis ad sp ...`: service principals, printed in the shapes `az ad sp` prints.
import type { Command } from "commander";
import { connect, withConnection, type ConnectionOptions } from "../client.js";
import { Management } from "../management.js";
import { printResult } from "../output.js";

export function adCommands(program: Command): void {
  const sp = program.command("ad").description("Identity: service principals").command("sp").description("Manage service principals");
  const mgmt = (o: ConnectionOptions) => new Management(connect(o));

  withConnection(sp.command("create-for-rbac"))
    .description("Create a service principal and print its credential")
    .requiredOption("-n, --name <name>", "display name")
    .addHelpText("after", "\nExample:\n  kluis ad sp create-for-rbac --name my-app")
    .action(async (o) => {
      const created = (await mgmt(o).call("POST", "/kluis/servicePrincipals", { displayName: o.name })) as Record<string, string>;
      printResult({ appId: created.appId, displayName: created.displayName, password: created.password, tenant: created.tenant });
    });

  withConnection(sp.command("list"))
    .description("List service principals")
    .addHelpText("after", "\nExample:\n  kluis ad sp list")
    .action(async (o) => printResult(((await mgmt(o).call("GET", "/kluis/servicePrincipals")) as { value: unknown[] }).value));

  withConnection(sp.command("show"))
    .description("Show a service principal")
    .requiredOption("--id <appId>", "application id")
    .addHelpText("after", "\nExample:\n  kluis ad sp show --id 00000000-0000-0000-0000-000000000000")
    .action(async (o) => printResult(await mgmt(o).servicePrincipal(o.id)));

  withConnection(sp.command("delete"))
    .description("Delete a service principal")
    .requiredOption("--id <appId>", "application id")
    .addHelpText("after", "\nExample:\n  kluis ad sp delete --id 00000000-0000-0000-0000-000000000000")
    .action(async (o) => {
      await mgmt(o).call("DELETE", `/kluis/servicePrincipals/${encodeURIComponent(o.id)}`);
    });

  withConnection(sp.command("credential").description("Manage credentials").command("reset"))
    .description("Replace a service principal's client secret")
    .requiredOption("--id <appId>", "application id")
    .addHelpText("after", "\nExample:\n  kluis ad sp credential reset --id 00000000-0000-0000-0000-000000000000")
    .action(async (o) => printResult(await mgmt(o).call("POST", `/kluis/servicePrincipals/${encodeURIComponent(o.id)}/credentials/reset`)));
}
