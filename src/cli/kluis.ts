#!/usr/bin/env node
// The `kluis` command: the server, identity and vault management, with `az`'s command names.
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { CliError } from "./errors.js";
import { serverCommands } from "./commands/server.js";
import { withOutputOptions } from "./output.js";

/** The package's version (dist/cli/kluis.js, and the bundle dist/bundle/kluis.js, sit two folders below package.json). */
const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const program = new Command("kluis")
  .description("Kluis: a self-hosted vault server that speaks the Azure Key Vault REST API")
  .version(version, "-v, --version", "print the version")
  .exitOverride()
  .configureHelp({ showGlobalOptions: true })
  .addHelpText(
    "after",
    "\nWho: the identity of 'kluis login' (kept in $KLUIS_CONFIG_DIR, default ~/.kluis), else, on the server's machine, the\n" +
      "administrator credential of the data directory. AZURE_CLIENT_ID/AZURE_CLIENT_SECRET/AZURE_TENANT_ID are for programs:\n" +
      "they do not change who the CLI acts as.",
  )
  // commander's usage errors ("error: unknown option '--x'") on one line, as az's "ERROR: ..."
  .configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, "ERROR: ")) });
withOutputOptions(program);

serverCommands(program);
// `kluis server ...` (a server's start above all) does not load the other groups' modules: that is start-up time.
if (process.argv[2] !== "server") await managementCommands(program);

async function managementCommands(program: Command): Promise<void> {
  const [
    { accountCommands },
    { adCommands },
    { groupCommands },
    { keyvaultCommands },
    { roleCommands },
    { certificateCommands },
    { secretCommands },
    { keyCommands },
    { monitorCommands },
    { eventgridCommands },
  ] = await Promise.all([
    import("./commands/account.js"),
    import("./commands/ad.js"),
    import("./commands/group.js"),
    import("./commands/keyvault.js"),
    import("./commands/role.js"),
    import("./commands/certificate.js"),
    import("./commands/secret.js"),
    import("./commands/key.js"),
    import("./commands/monitor.js"),
    import("./commands/eventgrid.js"),
  ]);
  accountCommands(program);
  adCommands(program);
  groupCommands(program);
  const keyvault = keyvaultCommands(program);
  roleCommands(program);
  certificateCommands(keyvault);
  secretCommands(keyvault);
  keyCommands(keyvault);
  monitorCommands(program);
  eventgridCommands(program);
}

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  const message = err instanceof CliError || err instanceof Error ? err.message : String(err);
  process.stderr.write(`ERROR: ${message}\n`);
  process.exit(1);
});
