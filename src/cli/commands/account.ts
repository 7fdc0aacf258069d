// `kluis login`, `kluis logout` and `kluis account show`, as az's: the CLI acts as the identity it signed in with.
import type { Command } from "commander";
import { MANAGEMENT_AUDIENCE } from "../../identity/tokens.js";
import {
  accessToken,
  claimsOf,
  CLI_CLIENT_ID,
  rememberToken,
  serverOf,
  tokenEndpoint,
  tokenError,
  USER_SCOPES,
  withConnection,
  type Connection,
  type TokenAnswer,
} from "../client.js";
import { CliError } from "../errors.js";
import { Management } from "../management.js";
import { printResult } from "../output.js";
import { readProfile, removeProfile, writeProfile, type Profile, type SignedIn } from "../profile.js";
import { listIn, stringIn } from "../answers.js";

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

const MANAGEMENT_SCOPE = `${MANAGEMENT_AUDIENCE}/.default`;

/** A person's first tokens: by password (`-u -p`), or by a code they enter on the server's sign-in page. */
async function signInUser(
  conn: Pick<Connection, "url" | "ca" | "tenantId">,
  o: { username?: string; password?: string; useDeviceCode?: boolean },
): Promise<TokenAnswer> {
  const scope = `${MANAGEMENT_SCOPE} ${USER_SCOPES}`;
  if (!o.useDeviceCode)
    return tokenEndpoint(conn, "token", {
      grant_type: "password",
      client_id: CLI_CLIENT_ID,
      username: o.username!,
      password: o.password!,
      scope,
    });
  const flow = await tokenEndpoint(conn, "devicecode", { client_id: CLI_CLIENT_ID, scope });
  if (flow.status !== 200 || typeof flow.device_code !== "string") throw new CliError(tokenError(flow));
  process.stderr.write(`${String(flow.message)}\n`);
  let interval = Number(flow.interval) || 5;
  // Polled until the person signs in or the code expires, as az polls.
  const deadline = Date.now() + (Number(flow.expires_in) || 900) * 1000;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, interval * 1000));
    const answer = await tokenEndpoint(conn, "token", {
      grant_type: "urn:ietf:params:oauth:grant-type:device_code",
      client_id: CLI_CLIENT_ID,
      device_code: flow.device_code,
    });
    if (answer.error === "slow_down") interval += 5;
    else if (answer.error !== "authorization_pending") return answer;
  }
  throw new CliError("The code expired before anyone signed in with it: run 'kluis login --use-device-code' again.");
}

export function accountCommands(program: Command): void {
  withConnection(program.command("login"))
    .description("Sign in; later commands act as this identity (AZURE_CLIENT_ID/AZURE_CLIENT_SECRET do not change it)")
    .option(
      "-u, --username <name>",
      "a user's sign-in name (alice@kluis.local, or alice), or with --service-principal its appId",
    )
    .option("-p, --password <password>", "the user's password, or with --service-principal its client secret")
    .option("--use-device-code", "sign in as a user on the server's sign-in page, with the code printed")
    .option("--service-principal", "sign in as a service principal (-u is its appId, -p its client secret)")
    .option("-t, --tenant <tenant>", "tenant id (default: the server's)")
    .option(
      "--allow-no-subscriptions",
      "accepted as az's: an identity without a subscription signs in anyway, at tenant level",
    )
    .addHelpText(
      "after",
      "\nThe sign-in is kept owner-only in $KLUIS_CONFIG_DIR/profile.json (default ~/.kluis), and is used only for the server\n" +
        "signed in to: a service principal's secret, or a user's refresh token (never the password). Without it, on the\n" +
        "server's machine, the CLI acts as the data directory's administrator.\n" +
        "\nExamples:\n  kluis login -u alice@kluis.local -p <password>\n  kluis login --use-device-code\n" +
        "  kluis login --service-principal -u <appId> -p <password> --tenant <tenant>",
    )
    .action(async (o) => {
      const { url, ca, info } = serverOf(o);
      const tenantId = o.tenant ?? info?.tenantId ?? "organizations";
      let conn: Connection;
      let user: SignedIn;
      if (o.servicePrincipal) {
        if (!o.username || !o.password)
          throw new CliError("usage error: --service-principal needs -u APPID and -p SECRET.");
        conn = { url, ca, tenantId, credential: { clientId: o.username, clientSecret: o.password } };
        user = { type: "servicePrincipal", name: o.username, clientSecret: o.password };
      } else {
        if (!o.useDeviceCode && (!o.username || !o.password))
          throw new CliError(
            "usage error: kluis login needs -u USER -p PASSWORD, --use-device-code, or --service-principal -u APPID -p SECRET.",
          );
        const answer = await signInUser({ url, ca, tenantId }, o);
        if (
          answer.status !== 200 ||
          typeof answer.access_token !== "string" ||
          typeof answer.refresh_token !== "string"
        )
          throw new CliError(tokenError(answer));
        rememberToken(MANAGEMENT_SCOPE, answer.access_token); // the subscriptions call below uses it, not the refresh token
        const name = String(claimsOf(answer.access_token).upn);
        conn = { url, ca, tenantId, credential: { userPrincipalName: name, refreshToken: answer.refresh_token } };
        user = { type: "user", name, refreshToken: answer.refresh_token };
      }
      const token = await accessToken(conn, MANAGEMENT_SCOPE);
      const [first] = listIn(await new Management(conn).call("GET", "/subscriptions"));
      const tid = claimsOf(token).tid;
      const profile: Profile = {
        server: url,
        tenantId: o.tenant ?? (typeof tid === "string" ? tid : tenantId),
        subscriptionId: first && stringIn(first, "subscriptionId"),
        user,
      };
      writeProfile(profile);
      printResult([account(profile.tenantId, profile.subscriptionId, { name: user.name, type: user.type })]);
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
      if (profile)
        return printResult(
          account(profile.tenantId, profile.subscriptionId, { name: profile.user.name, type: profile.user.type }),
        );
      const { info, admin } = serverOf(o);
      if (!admin) throw new CliError("Please run 'kluis login' to setup account.");
      printResult(
        account(info?.tenantId ?? admin.tenant, info?.subscriptionId, { name: admin.appId, type: "servicePrincipal" }),
      );
    });
}
