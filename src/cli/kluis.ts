#!/usr/bin/env node
// The `kluis` command: the server, identity and vault management, with `az`'s command names.
import { Command, CommanderError } from "commander";
import { CliError } from "./client.js";
import { adCommands } from "./commands/ad.js";
import { keyvaultCommands } from "./commands/keyvault.js";
import { roleCommands } from "./commands/role.js";
import { serverCommands } from "./commands/server.js";

const program = new Command("kluis")
  .description("Kluis: a self-hosted vault server that speaks the Azure Key Vault REST API")
  .exitOverride()
  .configureOutput({ outputError: (str, write) => write(str) });

serverCommands(program);
adCommands(program);
keyvaultCommands(program);
roleCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  const message = err instanceof CliError || err instanceof Error ? err.message : String(err);
  process.stderr.write(`ERROR: ${message}\n`);
  process.exit(1);
});
