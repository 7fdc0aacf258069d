// Issue 10 part 7: the `kluis` CLI acts as the identity it signed in with (`kluis login`, as `az login`), not as
// whatever AZURE_CLIENT_ID/AZURE_CLIENT_SECRET a shell exports for a program.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";

describe("kluis login, logout, account show", () => {
  let kluis: Kluis;
  let admin: { appId: string };
  let app: ServicePrincipal;
  /** The config directories of the sign-ins made here. */
  let work: string;
  before(async () => {
    kluis = await Kluis.start();
    work = mkdtempSync(join(tmpdir(), "kluis-login-"));
    admin = JSON.parse(readFileSync(join(kluis.dataDir, "admin.json"), "utf8"));
    app = await kluis.vaultWithPrincipal("loginvault", { secrets: ["get", "set"] });
  });
  after(async () => {
    await kluis.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  const appVariables = () => ({ AZURE_CLIENT_ID: app.appId, AZURE_CLIENT_SECRET: app.password, AZURE_TENANT_ID: app.tenant });

  it("without a sign-in acts as the data directory's administrator, whatever AZURE_CLIENT_ID a shell exports", async () => {
    const shown = await kluis.cliJson(["account", "show"], appVariables());
    assert.equal(shown.user.name, admin.appId);
    assert.equal(shown.user.type, "servicePrincipal");
    assert.equal(shown.id, kluis.info.subscriptionId);
    // Management as the administrator, with the app's variables exported (was a 403 on GET /subscriptions).
    const policy = await kluis.cli(["keyvault", "set-policy", "--name", "loginvault", "--spn", app.appId, "--secret-permissions", "get", "set", "list"], appVariables());
    assert.equal(policy.code, 0, policy.stderr);
  });

  it("signs in as a service principal, keeps it owner-only, acts as it, and logs out", async () => {
    const config = mkdtempSync(join(work, "login-"));
    const env = { KLUIS_CONFIG_DIR: join(config, "profile-dir") };
    const login = await kluis.cliJson(["login", "--service-principal", "-u", app.appId, "-p", app.password, "--tenant", app.tenant], env);
    assert.deepEqual(login.map((a: { user: unknown; tenantId: string; name: string }) => [a.user, a.tenantId, a.name]), [
      [{ name: app.appId, type: "servicePrincipal" }, app.tenant, "N/A(tenant level account)"],
    ]);
    const file = join(env.KLUIS_CONFIG_DIR, "profile.json");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(env.KLUIS_CONFIG_DIR).mode & 0o777, 0o700);
    assert.equal((await kluis.cliJson(["account", "show"], env)).user.name, app.appId);

    // The data plane as the app: what its policy grants works...
    assert.equal((await kluis.cli(["keyvault", "secret", "set", "--vault-name", "loginvault", "-n", "s", "--value", "v"], env)).code, 0);
    const value = await kluis.cli(["keyvault", "secret", "show", "--vault-name", "loginvault", "-n", "s", "--query", "value", "-o", "tsv"], env);
    assert.equal(value.stdout.trim(), "v");
    // ...and management, which the app may not do, is refused as az words it.
    const manage = await kluis.cli(["keyvault", "set-policy", "--name", "loginvault", "--spn", app.appId, "--secret-permissions", "get"], env);
    assert.notEqual(manage.code, 0);
    assert.match(manage.stderr, /^ERROR: No subscriptions found for the signed-in identity/);
    // The sign-in is sent only to the server it was made for.
    const elsewhere = await kluis.cli(["keyvault", "secret", "show", "--vault-name", "loginvault", "-n", "s", "--server", "https://localhost:1"], env);
    assert.match(elsewhere.stderr, /^ERROR: Signed in to https:\/\/localhost:\d+, not https:\/\/localhost:1/);

    assert.equal((await kluis.cli(["logout"], env)).code, 0);
    assert.equal(existsSync(file), false);
    assert.equal((await kluis.cliJson(["account", "show"], env)).user.name, admin.appId);
    const again = await kluis.cli(["logout"], env);
    assert.equal(again.stderr, "ERROR: There are no active accounts.\n");
  });

  it("refuses a wrong secret with Entra's error and keeps no sign-in", async () => {
    const env = { KLUIS_CONFIG_DIR: mkdtempSync(join(work, "login-")) };
    const res = await kluis.cli(["login", "--service-principal", "-u", app.appId, "-p", "wrong", "--tenant", app.tenant], env);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /^ERROR: AADSTS7000215: Invalid client secret provided/);
    assert.equal(existsSync(join(env.KLUIS_CONFIG_DIR, "profile.json")), false);
    assert.equal((await kluis.cliJson(["account", "show"], env)).user.name, admin.appId);
  });

  it("refuses a damaged sign-in rather than guess who to act as, and logs out of it", async () => {
    const env = { KLUIS_CONFIG_DIR: mkdtempSync(join(work, "login-")) };
    writeFileSync(join(env.KLUIS_CONFIG_DIR, "profile.json"), "{not json", { mode: 0o600 });
    const shown = await kluis.cli(["account", "show"], env);
    assert.match(shown.stderr, /^ERROR: The sign-in in .*profile\.json cannot be read; run 'kluis logout' and 'kluis login' again\./);
    assert.equal((await kluis.cli(["keyvault", "list"], env)).code, 1);
    assert.equal((await kluis.cli(["logout"], env)).code, 0);
    assert.equal((await kluis.cliJson(["account", "show"], env)).user.name, admin.appId);
  });

  it("says what it needs for a login it cannot do yet", async () => {
    const noFlag = await kluis.cli(["login", "-u", "someone@kluis", "-p", "x"]);
    assert.match(noFlag.stderr, /^ERROR: Only service principals sign in for now/);
    const noSecret = await kluis.cli(["login", "--service-principal", "-u", app.appId]);
    assert.match(noSecret.stderr, /^ERROR: usage error: --service-principal needs -u APPID and -p SECRET/);
  });

  it("says in its help that AZURE_CLIENT_ID does not change who it acts as", async () => {
    const help = await kluis.cli(["--help"]);
    assert.match(help.stdout, /AZURE_CLIENT_ID\/AZURE_CLIENT_SECRET\/AZURE_TENANT_ID are for programs:\s+they do not change who the CLI acts as/);
    assert.match((await kluis.cli(["login", "--help"])).stdout, /kluis login --service-principal -u <appId> -p <password>/);
  });
});
