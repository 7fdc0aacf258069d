// `kluis group create|show|list|exists|delete`, with `az group`'s flag names and output.
import type { Command } from "commander";
import { tagsArgument } from "../arguments.js";
import { connect, withConnection, type ConnectionOptions } from "../client.js";
import { Management } from "../management.js";
import { printResult } from "../output.js";
import { listIn } from "../answers.js";

export function groupCommands(program: Command): void {
  const group = program.command("group").description("Manage resource groups");
  const call = async (o: ConnectionOptions, method: string, name?: string, body?: unknown) => {
    const m = new Management(connect(o));
    const path = `/subscriptions/${await m.subscriptionId()}/resourcegroups${name === undefined ? "" : `/${encodeURIComponent(name)}`}`;
    return m.call(method, path, body);
  };

  withConnection(group.command("create"))
    .description("Create a resource group, or update its tags")
    .requiredOption("-n, --name <name>", "resource group name")
    .requiredOption("-l, --location <location>", "location")
    .option("--tags <tags...>", "space-separated tags: key[=value] ...")
    .addHelpText("after", "\nExample:\n  kluis group create --name myrg --location westeurope")
    .action(async (o) =>
      printResult(
        await call(o, "PUT", o.name, { location: o.location, ...(o.tags ? { tags: tagsArgument(o.tags) } : {}) }),
      ),
    );

  withConnection(group.command("show"))
    .description("Show a resource group")
    .requiredOption("-n, --name <name>", "resource group name")
    .action(async (o) => printResult(await call(o, "GET", o.name)));

  withConnection(group.command("list"))
    .description("List resource groups")
    .action(async (o) => printResult(listIn(await call(o, "GET"))));

  withConnection(group.command("delete"))
    .description("Delete a resource group; its vaults are soft-deleted")
    .requiredOption("-n, --name <name>", "resource group name")
    .option("-y, --yes", "do not prompt for confirmation")
    .action(async (o) => {
      await call(o, "DELETE", o.name);
    });
}
