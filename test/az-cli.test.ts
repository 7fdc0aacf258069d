// Issue 10: the real Azure CLI, pinned from PyPI (scripts/prepare-azure-cli.sh), runs the quickstart against Kluis with
// only environment variables: through Kluis's CONNECT proxy with az's default cloud (signed in as the administrator
// user, `az login -u admin -p`), and through a cloud registered from Kluis's /metadata/endpoints without the proxy
// (as the administrator service principal). The app is made with `az ad sp create-for-rbac` and policies name it by
// --spn (Microsoft Graph, src/graph/). More on users: az-users.test.ts; management roles: rbac-management.test.ts.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fetchToken, rawRequest } from "./helpers/http.js";
import { startAzTestServer, type AzTestServer } from "./helpers/az.js";
import { Kluis, PYTHON, run, type ServicePrincipal } from "./helpers/kluis.js";

describe("the Azure CLI (az 2.91 from PyPI)", () => {
  let kluis: Kluis;
  let admin: AzTestServer["admin"];
  /** The quickstart's app, made by `az ad sp create-for-rbac` (proxy route). */
  let app: ServicePrincipal;
  let server: AzTestServer;
  before(async () => {
    server = await startAzTestServer();
    ({ kluis, admin } = server);
  });
  after(() => server.dispose());
  /** A shell of az's own (helpers/az.ts). */
  const azShell = (proxy: boolean) => server.shell(proxy);

  describe("through the CONNECT proxy, az's default cloud", () => {
    let shell: ReturnType<typeof azShell>;
    const az = (...args: string[]) => shell.az(...args);
    const azJson = <T = any>(...args: string[]) => shell.azJson<T>(...args);
    before(() => {
      shell = azShell(true);
    });

    it("signs in as the administrator user, as the quickstart's az login does, and sees the subscription", async () => {
      const accounts = await azJson<{ id: string; tenantId: string; isDefault: boolean }[]>(
        "login",
        "-u",
        "admin",
        "-p",
        admin.user.password,
      );
      assert.equal(accounts.length, 1);
      assert.equal(accounts[0]!.tenantId, admin.tenant);
      assert.equal(accounts[0]!.isDefault, true);
    });

    it("creates a resource group, and refuses to move it", async () => {
      const group = await azJson("group", "create", "-n", "rg", "-l", "westeurope");
      assert.equal(group.name, "rg");
      assert.equal(group.location, "westeurope");
      assert.equal(group.properties.provisioningState, "Succeeded");
      assert.equal((await az("group", "exists", "-n", "rg")).stdout.trim(), "true");
      assert.equal((await az("group", "exists", "-n", "nogroup")).stdout.trim(), "false");
      const moved = await az("group", "create", "-n", "rg", "-l", "eastus");
      assert.notEqual(moved.code, 0);
      assert.match(moved.stderr, /InvalidResourceGroupLocation/);
    });

    it("creates an access-policy vault with --enable-rbac-authorization false and an RBAC vault by default", async () => {
      // Without --no-self-perms az looks the signed-in user up in Graph (/me) and grants it everything.
      const v = await azJson(
        "keyvault",
        "create",
        "-n",
        "azquickvault",
        "-g",
        "rg",
        "--enable-rbac-authorization",
        "false",
      );
      assert.equal(v.properties.enableRbacAuthorization, false);
      assert.deepEqual(
        v.properties.accessPolicies.map((p: { objectId: string; permissions: { certificates: string[] } }) => [
          p.objectId,
          p.permissions.certificates,
        ]),
        [[admin.user.objectId, ["all"]]],
      );
      assert.equal(v.properties.vaultUri, "https://azquickvault.vault.azure.net/");
      const r = await azJson("keyvault", "create", "-n", "azrbacvault", "-g", "rg", "--no-self-perms");
      assert.equal(r.properties.enableRbacAuthorization, true, "today's az creates RBAC vaults unless told otherwise");
      const missing = await az("keyvault", "create", "-n", "azorphanvault", "-g", "nogroup", "--no-self-perms");
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /ResourceGroupNotFound|could not be found/);
    });

    it("finds vaults by name without -g (the /resources listing) and lists them", async () => {
      assert.equal((await azJson("keyvault", "show", "-n", "azquickvault")).name, "azquickvault");
      const names = (await azJson<{ name: string }[]>("keyvault", "list")).map((v) => v.name);
      assert.ok(names.includes("azquickvault") && names.includes("azrbacvault"), names.join(","));
    });

    it("creates the quickstart's app with az ad sp create-for-rbac, without a role", async () => {
      const created = await azJson<ServicePrincipal>("ad", "sp", "create-for-rbac", "-n", "quickstart-app");
      assert.deepEqual(Object.keys(created).sort(), ["appId", "displayName", "password", "tenant"]);
      assert.match(created.appId, /^[0-9a-f-]{36}$/);
      assert.equal(created.displayName, "quickstart-app");
      assert.equal(created.tenant, admin.tenant);
      assert.equal(created.password.length, 40);
      app = created;
      // No --role: no role assignment (the app signing in finds no subscription, in the test below).
    });

    it("refuses set-policy on the RBAC vault as az words it, and sets it by --spn on the access-policy vault", async () => {
      const refused = await az(
        "keyvault",
        "set-policy",
        "-n",
        "azrbacvault",
        "--spn",
        app.appId,
        "--certificate-permissions",
        "get",
      );
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /Cannot set policies to a vault with '--enable-rbac-authorization' specified/);
      const v = await azJson(
        "keyvault",
        "set-policy",
        "-n",
        "azquickvault",
        "--spn",
        app.appId,
        "--certificate-permissions",
        "delete",
        "get",
        "list",
        "create",
        "--secret-permissions",
        "get",
        "set",
        "--key-permissions",
        "create",
        "get",
      );
      const shown = await azJson<{ id: string }>("ad", "sp", "show", "--id", app.appId);
      const entry = v.properties.accessPolicies.find((p: { objectId: string }) => p.objectId === shown.id);
      assert.deepEqual([...entry.permissions.certificates].sort(), ["create", "delete", "get", "list"]);
    });

    it("runs the unmodified Python quickstart as the app", async () => {
      const res = await run(PYTHON, ["test/programs/quickstart.py"], {
        env: { ...kluis.sdkEnv(app, "proxy"), KEY_VAULT_NAME: "azquickvault" },
        input: "azcert\n",
      });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /Certificate with name 'azcert' was found/);
    });

    it("reaches the data plane: certificate show, secret set and show, key create", async () => {
      // The quickstart deleted its certificate; make one as the administrator, who has all permissions since
      // `keyvault create` gave them (no set-policy for it).
      const policy = (await az("keyvault", "certificate", "get-default-policy")).stdout;
      const created = await az(
        "keyvault",
        "certificate",
        "create",
        "--vault-name",
        "azquickvault",
        "-n",
        "cert",
        "-p",
        policy,
      );
      assert.equal(created.code, 0, created.stderr);
      const cert = await azJson("keyvault", "certificate", "show", "--vault-name", "azquickvault", "-n", "cert");
      assert.equal(cert.name, "cert");
      assert.match(cert.id, /^https:\/\/azquickvault\.vault\.azure\.net\/certificates\/cert\/[0-9a-f]{32}$/);
      const set = await azJson(
        "keyvault",
        "secret",
        "set",
        "--vault-name",
        "azquickvault",
        "-n",
        "db-password",
        "--value",
        "s3cret!",
      );
      assert.equal(set.value, "s3cret!");
      assert.equal(
        (await azJson("keyvault", "secret", "show", "--vault-name", "azquickvault", "-n", "db-password")).value,
        "s3cret!",
      );
      const key = await azJson(
        "keyvault",
        "key",
        "create",
        "--vault-name",
        "azquickvault",
        "-n",
        "signing",
        "--kty",
        "EC",
        "--curve",
        "P-256",
      );
      assert.equal(key.key.kty, "EC");
      assert.equal(key.key.crv, "P-256");
    });

    it("lets an app without a role sign in only with --allow-no-subscriptions", async () => {
      const other = azShell(true);
      const refused = await other.az(
        "login",
        "--service-principal",
        "-u",
        app.appId,
        "-p",
        app.password,
        "--tenant",
        app.tenant,
      );
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /No subscriptions found/);
      const allowed = await other.az(
        "login",
        "--service-principal",
        "-u",
        app.appId,
        "-p",
        app.password,
        "--tenant",
        app.tenant,
        "--allow-no-subscriptions",
      );
      assert.equal(allowed.code, 0, allowed.stderr);
      const group = await other.az("group", "create", "-n", "rg9", "-l", "westeurope");
      assert.notEqual(group.code, 0);
    });

    it("runs the quickstart's RBAC form: a Key Vault Certificates Officer assignment on the RBAC vault, then the program", async () => {
      const vaultId = (await azJson<{ id: string }>("keyvault", "show", "-n", "azrbacvault")).id;
      const quickstart = () =>
        run(PYTHON, ["test/programs/quickstart.py"], {
          env: { ...kluis.sdkEnv(app, "proxy"), KEY_VAULT_NAME: "azrbacvault" },
          input: "azrbaccert\n",
        });
      // (After the test above: a role under the subscription shows it the subscription, as in Azure.)
      // Before the assignment the vault refuses the app: RBAC vaults ignore access policies, and it holds no role.
      const refused = await quickstart();
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /Forbidden|not authorized/i);
      const assignment = await azJson<{ scope: string; roleDefinitionName: string }>(
        "role",
        "assignment",
        "create",
        "--role",
        "Key Vault Certificates Officer",
        "--assignee",
        app.appId,
        "--scope",
        vaultId,
      );
      assert.equal(assignment.scope, vaultId);
      const res = await quickstart();
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /Certificate with name 'azrbaccert' was found/);
    });

    it("shows, lists, resets and deletes the app with az ad sp and az ad app", async () => {
      const sp = await azJson("ad", "sp", "show", "--id", app.appId);
      assert.equal(sp.appId, app.appId);
      assert.equal(sp.displayName, "quickstart-app");
      assert.deepEqual(sp.servicePrincipalNames, [app.appId]);
      assert.deepEqual(
        (await azJson<{ id: string }[]>("ad", "sp", "list", "--display-name", "quickstart")).map((x) => x.id),
        [sp.id],
      );
      assert.deepEqual(
        (await azJson<{ id: string }[]>("ad", "sp", "list", "--spn", app.appId)).map((x) => x.id),
        [sp.id],
      );
      assert.deepEqual(
        (await azJson<{ id: string }[]>("ad", "sp", "list", "--filter", "displayName eq 'quickstart-app'")).map(
          (x) => x.id,
        ),
        [sp.id],
      );
      const application = await azJson("ad", "app", "show", "--id", app.appId);
      assert.equal(application.appId, app.appId);
      assert.notEqual(application.id, sp.id, "the application object has an id of its own");
      assert.deepEqual(
        (await azJson<{ appId: string }[]>("ad", "app", "list", "--display-name", "quickstart-app")).map(
          (x) => x.appId,
        ),
        [app.appId],
      );

      // credential reset: the old secret is refused, the new one works.
      const reset = await azJson<{ appId: string; password: string; tenant: string }>(
        "ad",
        "sp",
        "credential",
        "reset",
        "--id",
        app.appId,
      );
      assert.equal(reset.appId, app.appId);
      assert.equal(reset.tenant, admin.tenant);
      assert.notEqual(reset.password, app.password);
      const old = await fetchToken(kluis, app);
      assert.equal(old.status, 401);
      assert.equal(old.body.error, "invalid_client");
      const fresh = await fetchToken(kluis, { appId: app.appId, password: reset.password });
      assert.equal(fresh.status, 200, JSON.stringify(fresh.body));

      // delete: the app's token stops working.
      const token = fresh.body.access_token as string;
      const vault = (path: string) =>
        rawRequest(kluis, "azquickvault.vault.azure.net", "GET", `${path}?api-version=7.5`, { token });
      assert.equal((await vault("/secrets/db-password")).status, 200);
      const deleted = await az("ad", "sp", "delete", "--id", app.appId);
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.equal((await vault("/secrets/db-password")).status, 401);
      const gone = await az("ad", "sp", "show", "--id", app.appId);
      assert.notEqual(gone.code, 0);
      assert.match(gone.stderr, /does not exist/);
      assert.deepEqual(await azJson("ad", "app", "list", "--display-name", "quickstart-app"), []);
    });

    it("deletes the group, soft-deleting its vaults, which list-deleted shows", async () => {
      const deleted = await az("group", "delete", "-n", "rg", "--yes");
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.equal((await az("group", "exists", "-n", "rg")).stdout.trim(), "false");
      const names = (await azJson<{ name: string }[]>("keyvault", "list-deleted")).map((v) => v.name);
      assert.ok(names.includes("azquickvault") && names.includes("azrbacvault"), names.join(","));
      const live = (await azJson<{ name: string }[]>("keyvault", "list")).map((v) => v.name);
      assert.ok(!live.includes("azquickvault"), live.join(","));
    });
  });

  describe("through a registered cloud, without the proxy", () => {
    let shell: ReturnType<typeof azShell>;
    before(() => {
      shell = azShell(false);
    });

    it("registers the cloud from /metadata/endpoints and signs in", async () => {
      const reg = await shell.az(
        "cloud",
        "register",
        "-n",
        "kluis",
        "--endpoint-resource-manager",
        `${kluis.info.url}/`,
      );
      assert.equal(reg.code, 0, reg.stderr);
      assert.equal((await shell.az("cloud", "set", "-n", "kluis")).code, 0);
      const cloud = await shell.azJson("cloud", "show", "-n", "kluis");
      assert.equal(cloud.endpoints.resourceManager, `${kluis.info.url}/`);
      assert.equal(cloud.suffixes.keyvaultDns, ".vault.azure.net");
      const accounts = await shell.azJson(
        "login",
        "--service-principal",
        "-u",
        admin.appId,
        "-p",
        admin.password,
        "--tenant",
        admin.tenant,
      );
      assert.equal(accounts[0].cloudName, "kluis");
    });

    it("manages groups and vaults, looking the caller up in Graph", async () => {
      assert.equal((await shell.azJson("group", "create", "-n", "rg2", "-l", "westeurope")).name, "rg2");
      // Graph through the registered cloud: a token for the server's own URL, used on /v1.0/.
      const v = await shell.azJson(
        "keyvault",
        "create",
        "-n",
        "azcloudvault",
        "-g",
        "rg2",
        "--enable-rbac-authorization",
        "false",
      );
      assert.equal(v.name, "azcloudvault");
      assert.deepEqual(
        v.properties.accessPolicies.map((p: { objectId: string }) => p.objectId),
        [admin.objectId],
      );
      assert.ok((await shell.azJson<{ name: string }[]>("keyvault", "list")).some((x) => x.name === "azcloudvault"));
      const res = await shell.az("group", "delete", "-n", "rg2", "--yes");
      assert.equal(res.code, 0, res.stderr);
      assert.ok(
        (await shell.azJson<{ name: string }[]>("keyvault", "list-deleted")).some((x) => x.name === "azcloudvault"),
      );
    });

    it("answers az provider, az resource by id and type, check-name and private-link-resource list", async () => {
      // Set-up scripts register the provider first; `az resource` reads its api-versions before any call.
      assert.equal((await shell.az("provider", "register", "-n", "Microsoft.KeyVault", "--wait")).code, 0);
      const provider = await shell.azJson("provider", "show", "-n", "Microsoft.KeyVault");
      assert.equal(provider.registrationState, "Registered");
      assert.ok(
        provider.resourceTypes
          .find((t: { resourceType: string }) => t.resourceType === "vaults")
          .apiVersions.includes("2026-02-01"),
      );
      assert.deepEqual((await shell.azJson<string[]>("provider", "list", "--query", "[].namespace")).sort(), [
        "Microsoft.Authorization",
        "Microsoft.EventGrid",
        "Microsoft.KeyVault",
      ]);
      const unknown = await shell.az("provider", "show", "-n", "Microsoft.Compute");
      assert.notEqual(unknown.code, 0);
      assert.match(
        unknown.stderr,
        /\(InvalidResourceNamespace\) The resource namespace 'Microsoft.Compute' is invalid\./,
      );

      assert.equal((await shell.azJson("group", "create", "-n", "rg3", "-l", "westeurope")).name, "rg3");
      const id = (await shell.azJson("keyvault", "create", "-n", "azresvault", "-g", "rg3")).id;
      assert.deepEqual(await shell.azJson("resource", "show", "--ids", id, "--query", "[name, type]"), [
        "azresvault",
        "Microsoft.KeyVault/vaults",
      ]);
      const tag = ["resource", "tag", "--tags", "env=test", "-g", "rg3", "-n", "azresvault"];
      assert.deepEqual(await shell.azJson(...tag, "--resource-type", "Microsoft.KeyVault/vaults", "--query", "tags"), {
        env: "test",
      });
      assert.deepEqual(await shell.azJson("keyvault", "show", "-n", "azresvault", "--query", "tags"), { env: "test" });
      const updated = ["resource", "update", "--ids", id, "--set", "properties.enabledForDeployment=true"];
      assert.equal(await shell.azJson(...updated, "--query", "properties.enabledForDeployment"), true);

      // az's check-name asks about managed HSM names (Kluis has none: a valid name is free).
      assert.equal((await shell.azJson("keyvault", "check-name", "-n", "azfreehsm")).nameAvailable, true);
      const invalid = await shell.azJson("keyvault", "check-name", "-n", "1-bad");
      assert.deepEqual([invalid.nameAvailable, invalid.reason], [false, "AccountNameInvalid"]);
      const links = await shell.azJson("keyvault", "private-link-resource", "list", "--vault-name", "azresvault");
      assert.deepEqual(
        links.map((l: { id: string; groupId: string; requiredZoneNames: string[] }) => [
          l.id,
          l.groupId,
          l.requiredZoneNames,
        ]),
        [[`${id}/privateLinkResources/vault`, "vault", ["privatelink.vaultcore.azure.net"]]],
      );
      assert.equal((await shell.az("group", "delete", "-n", "rg3", "--yes")).code, 0);
    });

    it("tags a group and a vault with az tag: create, merge, delete by name or name and value, replace, list, delete", async () => {
      assert.equal((await shell.azJson("group", "create", "-n", "rg4", "-l", "westeurope")).name, "rg4");
      const vault = (await shell.azJson("keyvault", "create", "-n", "aztagvault", "-g", "rg4")).id;
      const group = vault.split("/providers/")[0];
      const tag = async (...args: string[]) =>
        (await shell.azJson("tag", ...args, "--query", "properties.tags")) as object;
      assert.deepEqual(await tag("create", "--resource-id", vault, "--tags", "a=1", "b=2"), { a: "1", b: "2" });
      assert.deepEqual(await tag("update", "--resource-id", vault, "--operation", "merge", "--tags", "c=3"), {
        a: "1",
        b: "2",
        c: "3",
      });
      // Delete takes a name, or a name with the value it has.
      const deleted = await tag("update", "--resource-id", vault, "--operation", "delete", "--tags", "a", "b=9", "c=3");
      assert.deepEqual(deleted, { b: "2" });
      assert.deepEqual(await tag("update", "--resource-id", vault, "--operation", "replace", "--tags", "z=26"), {
        z: "26",
      });
      assert.deepEqual(await shell.azJson("keyvault", "show", "-n", "aztagvault", "--query", "tags"), { z: "26" });
      assert.deepEqual(await tag("list", "--resource-id", vault), { z: "26" });
      assert.equal((await shell.az("tag", "delete", "--resource-id", vault, "--yes")).code, 0);
      assert.deepEqual(await shell.azJson("keyvault", "show", "-n", "aztagvault", "--query", "tags"), {});

      assert.deepEqual(await tag("update", "--resource-id", group, "--operation", "merge", "--tags", "team=kv"), {
        team: "kv",
      });
      assert.deepEqual(await shell.azJson("group", "show", "-n", "rg4", "--query", "tags"), { team: "kv" });
      assert.equal((await shell.az("group", "delete", "-n", "rg4", "--yes")).code, 0);
      // As for the vault itself, ARM answers for the missing group first.
      assert.match((await shell.az("tag", "list", "--resource-id", vault)).stderr, /\(ResourceGroupNotFound\)/);
    });
  });
});
