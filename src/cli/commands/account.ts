// `kluis login`, `kluis logout` and `kluis account show`, as az's: the CLI acts as the identity it signed in with.
import type { Command } from "commander";
import { MANAGEMENT_AUDIENCE } from "../../identity/tokens.js";
import { accessToken, serverOf, withConnection, type Connection } from "../client.js";
import { CliError } from "../errors.js";
import { Management } from "../management.js";
import { printResult } from "../output.js";
import { readProfile, removeProfile, writeProfile, type Profile } from "../profile.js";

/** An account as `az login` and `az account show` print it: a subscription, or the tenant itself when there is none. */
function account(tenantId: string, subscriptionId: string | undefined, user: { name: string; type: string }) {
  return {
    cloudName: "Kluis",
    homeTenantId: tenantId,
    id: subscriptionId ?? tenantId,
    isDefault: true,
    managedByTenants: [],
    name: subscriptionId ? "Kluis" : "N/A(tenant level account)",
    state: "Enabled",
    tenantId,
    user,
  };
}

/** The tenant a token was issued in (read for display only: the server verified the credential). */
function tenantOf(token: string): string | undefined {
  try {
    return (JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { tid?: string }).tid;
  } catch {
    return undefined;
  }
}

export function accountCommands(program: Command): void {
  withConnection(program.command("login"))
    .description("Sign in; later commands act as this identity (AZURE_CLIENT_ID/AZURE_CLIENT_SECRET do not change it)")
    .option("--service-principal", "sign in as a service principal (-u is its appId, -p its client secret)")
    .option("-u, --username <appId>", "the service principal's application id")
    .option("-p, --password <secret>", "the service principal's client secret")
    .option("-t, --tenant <tenant>", "tenant id (default: the server's)")
    .option("--allow-no-subscriptions", "accepted as az's: a principal without a subscription signs in anyway, at tenant level")
    .addHelpText(
      "after",
      "\nThe sign-in is kept owner-only in $KLUIS_CONFIG_DIR/profile.json (default ~/.kluis), and is used only for the server\n" +
        "signed in to. Without it, on the server's machine, the CLI acts as the data directory's administrator.\n" +
        "\nExample:\n  kluis login --service-principal -u <appId> -p <password> --tenant <tenant>",
    )
    .action(async (o) => {
      if (!o.servicePrincipal) throw new CliError("Only service principals sign in for now: kluis login --service-principal -u APPID -p SECRET.");
      if (!o.username || !o.password) throw new CliError("usage error: --service-principal needs -u APPID and -p SECRET.");
      const { url, ca, info } = serverOf(o);
      const conn: Connection = { url, ca, tenantId: o.tenant ?? info?.tenantId ?? "adfs", credential: { clientId: o.username, clientSecret: o.password } };
      const token = await accessToken(conn, `${MANAGEMENT_AUDIENCE}/.default`);
      const subscriptions = ((await new Management(conn).call("GET", "/subscriptions")) as { value: { subscriptionId: string }[] }).value;
      const profile: Profile = {
        server: url,
        tenantId: o.tenant ?? tenantOf(token) ?? conn.tenantId,
        subscriptionId: subscriptions[0]?.subscriptionId,
        user: { type: "servicePrincipal", name: o.username, clientSecret: o.password },
      };
      writeProfile(profile);
      printResult([account(profile.tenantId, profile.subscriptionId, { name: o.username, type: "servicePrincipal" })]);
    });

  program
    .command("logout")
    .description("Forget the sign-in; the CLI then acts as the data directory's administrator again")
    .action(() => {
      if (!removeProfile()) throw new CliError("There are no active accounts.");
    });

  withConnection(program.command("account").description("The identity the CLI acts as").command("show"))
    .description("Show who the CLI acts as: the signed-in identity, else the data directory's administrator")
    .addHelpText("after", "\nExample:\n  kluis account show --query user.name -o tsv")
    .action((o) => {
      const profile = readProfile();
      if (profile) return printResult(account(profile.tenantId, profile.subscriptionId, { name: profile.user.name, type: profile.user.type }));
      const { info, admin } = serverOf(o);
      if (!admin) throw new CliError("Please run 'kluis login' to setup account.");
      printResult(account(info?.tenantId ?? admin.tenant, info?.subscriptionId, { name: admin.appId, type: "servicePrincipal" }));
    });
}
