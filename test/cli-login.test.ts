// Issue 10 part 7: the `kluis` CLI acts as the identity it signed in with (`kluis login`, as `az login`: a service
// principal, or a person by password or device code), not as whatever AZURE_CLIENT_ID/AZURE_CLIENT_SECRET a shell
// exports for a program.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { enterDeviceCode, type RawResponse } from "./helpers/http.js";
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
    admin = kluis.adminCredential();
    app = await kluis.vaultWithPrincipal("loginvault", { secrets: ["get", "set"] });
  });
  after(async () => {
    await kluis.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  const appVariables = () => ({
    AZURE_CLIENT_ID: app.appId,
    AZURE_CLIENT_SECRET: app.password,
    AZURE_TENANT_ID: app.tenant,
  });

  it("without a sign-in acts as the data directory's administrator, whatever AZURE_CLIENT_ID a shell exports", async () => {
    const shown = await kluis.cliJson(["account", "show"], appVariables());
    assert.equal(shown.user.name, admin.appId);
    assert.equal(shown.user.type, "servicePrincipal");
    assert.equal(shown.id, kluis.info.subscriptionId);
    // Management as the administrator, with the app's variables exported (was a 403 on GET /subscriptions).
    const policy = await kluis.cli(
      [
        "keyvault",
        "set-policy",
        "--name",
        "loginvault",
        "--spn",
        app.appId,
        "--secret-permissions",
        "get",
        "set",
        "list",
      ],
      appVariables(),
    );
    assert.equal(policy.code, 0, policy.stderr);
  });

  it("signs in as a service principal, keeps it owner-only, acts as it, and logs out", async () => {
    const config = mkdtempSync(join(work, "login-"));
    const env = { KLUIS_CONFIG_DIR: join(config, "profile-dir") };
    const login = await kluis.cliJson(
      ["login", "--service-principal", "-u", app.appId, "-p", app.password, "--tenant", app.tenant],
      env,
    );
    assert.deepEqual(
      login.map((a: { user: unknown; tenantId: string; name: string }) => [a.user, a.tenantId, a.name]),
      [[{ name: app.appId, type: "servicePrincipal" }, app.tenant, "N/A(tenant level account)"]],
    );
    const file = join(env.KLUIS_CONFIG_DIR, "profile.json");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(env.KLUIS_CONFIG_DIR).mode & 0o777, 0o700);
    assert.equal((await kluis.cliJson(["account", "show"], env)).user.name, app.appId);

    // The data plane as the app: what its policy grants works...
    assert.equal(
      (await kluis.cli(["keyvault", "secret", "set", "--vault-name", "loginvault", "-n", "s", "--value", "v"], env))
        .code,
      0,
    );
    const value = await kluis.cli(
      ["keyvault", "secret", "show", "--vault-name", "loginvault", "-n", "s", "--query", "value", "-o", "tsv"],
      env,
    );
    assert.equal(value.stdout.trim(), "v");
    // ...and management, which the app may not do, is refused as az words it.
    const manage = await kluis.cli(
      ["keyvault", "set-policy", "--name", "loginvault", "--spn", app.appId, "--secret-permissions", "get"],
      env,
    );
    assert.notEqual(manage.code, 0);
    assert.match(manage.stderr, /^ERROR: No subscriptions found for the signed-in identity/);
    // The sign-in is sent only to the server it was made for.
    const elsewhere = await kluis.cli(
      ["keyvault", "secret", "show", "--vault-name", "loginvault", "-n", "s", "--server", "https://localhost:1"],
      env,
    );
    assert.match(elsewhere.stderr, /^ERROR: Signed in to https:\/\/localhost:\d+, not https:\/\/localhost:1/);

    assert.equal((await kluis.cli(["logout"], env)).code, 0);
    assert.equal(existsSync(file), false);
    assert.equal((await kluis.cliJson(["account", "show"], env)).user.name, admin.appId);
    const again = await kluis.cli(["logout"], env);
    assert.equal(again.stderr, "ERROR: There are no active accounts.\n");
  });

  it("refuses a wrong secret with Entra's error and keeps no sign-in", async () => {
    const env = { KLUIS_CONFIG_DIR: mkdtempSync(join(work, "login-")) };
    const res = await kluis.cli(
      ["login", "--service-principal", "-u", app.appId, "-p", "wrong", "--tenant", app.tenant],
      env,
    );
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /^ERROR: AADSTS7000215: Invalid client secret provided/);
    assert.equal(existsSync(join(env.KLUIS_CONFIG_DIR, "profile.json")), false);
    assert.equal((await kluis.cliJson(["account", "show"], env)).user.name, admin.appId);
  });

  it("refuses a damaged sign-in rather than guess who to act as, and logs out of it", async () => {
    const env = { KLUIS_CONFIG_DIR: mkdtempSync(join(work, "login-")) };
    writeFileSync(join(env.KLUIS_CONFIG_DIR, "profile.json"), "{not json", { mode: 0o600 });
    const shown = await kluis.cli(["account", "show"], env);
    assert.match(
      shown.stderr,
      /^ERROR: The sign-in in .*profile\.json cannot be read; run 'kluis logout' and 'kluis login' again\./,
    );
    assert.equal((await kluis.cli(["keyvault", "list"], env)).code, 1);
    assert.equal((await kluis.cli(["logout"], env)).code, 0);
    assert.equal((await kluis.cliJson(["account", "show"], env)).user.name, admin.appId);
  });

  it("says what a login needs", async () => {
    const nothing = await kluis.cli(["login"]);
    assert.match(
      nothing.stderr,
      /^ERROR: usage error: kluis login needs -u USER -p PASSWORD, --use-device-code, or --service-principal -u APPID -p SECRET\./,
    );
    const noSecret = await kluis.cli(["login", "--service-principal", "-u", app.appId]);
    assert.match(noSecret.stderr, /^ERROR: usage error: --service-principal needs -u APPID and -p SECRET/);
  });

  describe("as a person", () => {
    const BOB = { upn: "bob@kluis.local", password: "Bob-pa55word" };
    let bobId: string;
    before(async () => {
      bobId = await kluis.createUser(BOB.upn, BOB.password, "Bob");
      await kluis.cliJson([
        "keyvault",
        "set-policy",
        "--name",
        "loginvault",
        "--object-id",
        bobId,
        "--secret-permissions",
        "get",
        "set",
      ]);
    });
    const profileOf = (env: { KLUIS_CONFIG_DIR: string }) =>
      JSON.parse(readFileSync(join(env.KLUIS_CONFIG_DIR, "profile.json"), "utf8"));

    it("signs in with -u -p, keeps a refresh token (never the password) owner-only, and acts as the user", async () => {
      const env = { KLUIS_CONFIG_DIR: join(mkdtempSync(join(work, "login-")), "profile-dir") };
      // A bare name is a name in the tenant's domain, as Entra's sign-in takes it.
      const login = await kluis.cliJson(["login", "-u", "bob", "-p", BOB.password], env);
      assert.deepEqual(
        login.map((a: { user: unknown; name: string }) => [a.user, a.name]),
        [[{ name: BOB.upn, type: "user" }, "N/A(tenant level account)"]],
      );
      const file = join(env.KLUIS_CONFIG_DIR, "profile.json");
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(statSync(env.KLUIS_CONFIG_DIR).mode & 0o777, 0o700);
      const stored = readFileSync(file, "utf8");
      assert.doesNotMatch(stored, new RegExp(BOB.password));
      const firstRefreshToken = profileOf(env).user.refreshToken as string;
      assert.match(firstRefreshToken, /^[\w-]+\.[\w-]+\.[\w-]+$/);
      assert.deepEqual((await kluis.cliJson(["account", "show"], env)).user, { name: BOB.upn, type: "user" });

      // Vault, Graph and ARM tokens from the refresh token, as Bob.
      assert.equal(
        (
          await kluis.cli(
            ["keyvault", "secret", "set", "--vault-name", "loginvault", "-n", "bobs", "--value", "b"],
            env,
          )
        ).code,
        0,
      );
      const value = await kluis.cli(
        ["keyvault", "secret", "show", "--vault-name", "loginvault", "-n", "bobs", "--query", "value", "-o", "tsv"],
        env,
      );
      assert.equal(value.stdout.trim(), "b");
      assert.notEqual(profileOf(env).user.refreshToken, firstRefreshToken, "the newest refresh token is kept");
      assert.equal((await kluis.cliJson(["ad", "user", "show", "--id", BOB.upn], env)).id, bobId);
      // Not granted by the policy: Key Vault's 403 for Bob's token.
      const list = await kluis.cli(["keyvault", "secret", "list", "--vault-name", "loginvault"], env);
      assert.match(list.stderr, /^ERROR: .*does not have secrets list permission/);
      const manage = await kluis.cli(["group", "create", "-n", "bobsgroup", "-l", "westeurope"], env);
      assert.match(manage.stderr, /^ERROR: No subscriptions found for the signed-in identity/);

      assert.equal((await kluis.cli(["logout"], env)).code, 0);
      assert.equal(existsSync(file), false);
    });

    it("refuses a wrong password with Entra's error and keeps no sign-in", async () => {
      const env = { KLUIS_CONFIG_DIR: mkdtempSync(join(work, "login-")) };
      const res = await kluis.cli(["login", "-u", BOB.upn, "-p", "Wrong-pa55word"], env);
      assert.equal(res.code, 1);
      assert.equal(
        res.stderr,
        "ERROR: AADSTS50126: Error validating credentials due to invalid username or password.\n",
      );
      assert.equal(existsSync(join(env.KLUIS_CONFIG_DIR, "profile.json")), false);
    });

    it("signs in with --use-device-code, the code entered on the server's sign-in page", async () => {
      const env = { KLUIS_CONFIG_DIR: mkdtempSync(join(work, "login-")) };
      let entered: Promise<RawResponse> | undefined;
      const res = await kluis.cli(["login", "--use-device-code"], env, {
        onStderr: (soFar) => {
          const m = /open the page (https:\/\/\S+) and enter the code (\w+) to authenticate/.exec(soFar);
          if (m && !entered) entered = enterDeviceCode(kluis, new URL(m[1]!), m[2]!, BOB.upn, BOB.password);
        },
      });
      assert.ok(entered, `no code printed: ${res.stderr}`);
      assert.equal((await entered).status, 200);
      assert.equal(res.code, 0, res.stderr);
      assert.deepEqual(JSON.parse(res.stdout)[0].user, { name: BOB.upn, type: "user" });
      const value = await kluis.cli(
        ["keyvault", "secret", "show", "--vault-name", "loginvault", "-n", "bobs", "--query", "value", "-o", "tsv"],
        env,
      );
      assert.equal(value.stdout.trim(), "b");
    });

    it("with a management role sees the subscription, and ARM's refusal names the user by UPN", async () => {
      const env = { KLUIS_CONFIG_DIR: mkdtempSync(join(work, "login-")) };
      const scope = `/subscriptions/${kluis.info.subscriptionId}`;
      await kluis.cliJson(["role", "assignment", "create", "--role", "Reader", "--assignee", bobId, "--scope", scope]);
      const login = await kluis.cliJson(["login", "-u", BOB.upn, "-p", BOB.password], env);
      assert.equal(login[0].id, kluis.info.subscriptionId);
      const create = await kluis.cli(["group", "create", "-n", "bobsgroup", "-l", "westeurope"], env);
      assert.equal(create.code, 1);
      assert.match(
        create.stderr,
        new RegExp(
          `^ERROR: The client '${BOB.upn}' with object id '${bobId}' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourceGroups/write' over scope '${scope}/resourcegroups/bobsgroup'`,
        ),
      );
    });

    it("after the user's password is reset or the user deleted, says in one line to log in again", async () => {
      const env = { KLUIS_CONFIG_DIR: mkdtempSync(join(work, "login-")) };
      await kluis.cliJson(["login", "-u", BOB.upn, "-p", BOB.password], env);
      const reset = await kluis.cli([
        "ad",
        "user",
        "update",
        "--id",
        BOB.upn,
        "--password",
        "Bob-new-pa55word",
        "--force-change-password-next-sign-in",
        "false",
      ]);
      assert.equal(reset.code, 0, reset.stderr);
      const revoked = await kluis.cli(["keyvault", "secret", "show", "--vault-name", "loginvault", "-n", "bobs"], env);
      assert.equal(revoked.code, 1);
      assert.match(
        revoked.stderr,
        /^ERROR: The sign-in of bob@kluis\.local is no longer valid \(AADSTS50173: [^\n]*\): run 'kluis login' again\.\n$/,
      );
      await kluis.cliJson(["login", "-u", BOB.upn, "-p", "Bob-new-pa55word"], env);
      assert.equal((await kluis.cli(["ad", "user", "delete", "--id", BOB.upn])).code, 0);
      const deleted = await kluis.cli(["account", "show"], env);
      assert.deepEqual(
        JSON.parse(deleted.stdout).user,
        { name: BOB.upn, type: "user" },
        "account show reads the profile only",
      );
      const gone = await kluis.cli(["keyvault", "secret", "show", "--vault-name", "loginvault", "-n", "bobs"], env);
      assert.match(
        gone.stderr,
        /^ERROR: The sign-in of bob@kluis\.local is no longer valid \(AADSTS50173: [^\n]*\): run 'kluis login' again\.\n$/,
      );
    });
  });

  it("says in its help that AZURE_CLIENT_ID does not change who it acts as", async () => {
    const help = await kluis.cli(["--help"]);
    assert.match(
      help.stdout,
      /AZURE_CLIENT_ID\/AZURE_CLIENT_SECRET\/AZURE_TENANT_ID are for programs:\s+they do not change who the CLI acts as/,
    );
    const loginHelp = (await kluis.cli(["login", "--help"])).stdout;
    assert.match(loginHelp, /kluis login --service-principal -u <appId> -p <password>/);
    assert.match(loginHelp, /kluis login --use-device-code/);
  });
});
