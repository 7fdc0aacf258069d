// `kluis ad sp ...` and `kluis ad user ...`: service principals and users, printed in the shapes `az ad sp|user` print.
// Users are managed through the server's Microsoft Graph routes, as az does.
import type { Command } from "commander";
import { GRAPH_AUDIENCE } from "../../identity/tokens.js";
import { callApi, connect, withConnection, type ConnectionOptions } from "../client.js";
import { Management } from "../management.js";
import { booleanArgument } from "../arguments.js";
import { printResult } from "../output.js";
import { listIn, stringIn } from "../answers.js";

export function adCommands(program: Command): void {
  const ad = program.command("ad").description("Identity: service principals and users");
  const sp = ad.command("sp").description("Manage service principals");
  const mgmt = (o: ConnectionOptions) => new Management(connect(o));

  withConnection(sp.command("create-for-rbac"))
    .description("Create a service principal and print its credential")
    .requiredOption("-n, --name <name>", "display name")
    .addHelpText("after", "\nExample:\n  kluis ad sp create-for-rbac --name my-app")
    .action(async (o) => {
      const created = await mgmt(o).call("POST", "/kluis/servicePrincipals", { displayName: o.name });
      printResult({
        appId: stringIn(created, "appId"),
        displayName: stringIn(created, "displayName"),
        password: stringIn(created, "password"),
        tenant: stringIn(created, "tenant"),
      });
    });

  withConnection(sp.command("list"))
    .description("List service principals")
    .addHelpText("after", "\nExample:\n  kluis ad sp list")
    .action(async (o) => printResult(listIn(await mgmt(o).call("GET", "/kluis/servicePrincipals"))));

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
    .action(async (o) =>
      printResult(await mgmt(o).call("POST", `/kluis/servicePrincipals/${encodeURIComponent(o.id)}/credentials/reset`)),
    );

  const user = ad.command("user").description("Manage users");
  const graph = (o: ConnectionOptions, method: string, path: string, body?: unknown) => {
    const conn = connect(o);
    return callApi(conn, `${GRAPH_AUDIENCE}/.default`, method, `${conn.url}/v1.0${path}`, body);
  };
  const userPath = (id: string) => `/users/${encodeURIComponent(id).replaceAll("%40", "@")}`;

  withConnection(user.command("create"))
    .description("Create a user")
    .requiredOption("--display-name <name>", "the user's display name")
    .requiredOption("--password <password>", "the user's password")
    .requiredOption("--user-principal-name <upn>", "the user's sign-in name, e.g. alice@kluis.local")
    .option("--mail-nickname <alias>", "mail alias (default: the UPN's part before @)")
    .addHelpText(
      "after",
      "\nExample:\n  kluis ad user create --display-name Alice --password 'S3cret-pass' --user-principal-name alice@kluis.local",
    )
    .action(async (o) => {
      const body = {
        accountEnabled: true,
        displayName: o.displayName,
        mailNickname: o.mailNickname ?? String(o.userPrincipalName).split("@")[0],
        passwordProfile: { forceChangePasswordNextSignIn: false, password: o.password },
        userPrincipalName: o.userPrincipalName,
      };
      printResult(await graph(o, "POST", "/users", body));
    });

  withConnection(user.command("list"))
    .description("List users")
    .option("--upn <upn>", "only the user of this user principal name")
    .option("--display-name <name>", "only users whose display name starts with this")
    .option("--filter <filter>", "an OData $filter")
    .addHelpText("after", "\nExample:\n  kluis ad user list --display-name Ali")
    .action(async (o) => {
      const clauses = [
        ...(o.filter ? [o.filter as string] : []),
        ...(o.upn ? [`userPrincipalName eq '${String(o.upn).replaceAll("'", "''")}'`] : []),
        ...(o.displayName ? [`startswith(displayName,'${String(o.displayName).replaceAll("'", "''")}')`] : []),
      ];
      const query = clauses.length > 0 ? `?$filter=${encodeURIComponent(clauses.join(" and "))}` : "";
      printResult(listIn(await graph(o, "GET", `/users${query}`)));
    });

  withConnection(user.command("show"))
    .description("Show a user")
    .requiredOption("--id <idOrUpn>", "object id or user principal name")
    .addHelpText("after", "\nExample:\n  kluis ad user show --id alice@kluis.local")
    .action(async (o) => printResult(await graph(o, "GET", userPath(o.id))));

  withConnection(user.command("update"))
    .description("Update a user: a new password signs it out everywhere; a disabled account cannot sign in")
    .requiredOption("--id <idOrUpn>", "object id or user principal name")
    .option("--display-name <name>", "the user's display name")
    .option("--password <password>", "a new password (the user's tokens and sign-ins stop working)")
    .option(
      "--force-change-password-next-sign-in <bool>",
      "must be false: Kluis has no page to change a password at",
      booleanArgument("--force-change-password-next-sign-in"),
    )
    .option(
      "--account-enabled <bool>",
      "false: the user can no longer sign in, and its tokens are refused",
      booleanArgument("--account-enabled"),
    )
    .option("--mail-nickname <alias>", "mail alias")
    .addHelpText(
      "after",
      "\nExamples:\n  kluis ad user update --id alice@kluis.local --password 'N3w-pass' --force-change-password-next-sign-in false\n  kluis ad user update --id alice@kluis.local --account-enabled false",
    )
    .action(async (o) => {
      // az's body: only the properties given.
      const password =
        o.password === undefined && o.forceChangePasswordNextSignIn === undefined
          ? undefined
          : { password: o.password, forceChangePasswordNextSignIn: o.forceChangePasswordNextSignIn };
      const body = {
        displayName: o.displayName,
        mailNickname: o.mailNickname,
        accountEnabled: o.accountEnabled,
        passwordProfile: password,
      };
      await graph(o, "PATCH", userPath(o.id), JSON.parse(JSON.stringify(body)));
    });

  withConnection(user.command("delete"))
    .description("Delete a user: its tokens stop working and its access-policy entries go")
    .requiredOption("--id <idOrUpn>", "object id or user principal name")
    .addHelpText("after", "\nExample:\n  kluis ad user delete --id alice@kluis.local")
    .action(async (o) => {
      await graph(o, "DELETE", userPath(o.id));
    });
}
