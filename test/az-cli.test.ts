// Issue 10 (first part): the real Azure CLI, pinned from PyPI (scripts/prepare-azure-cli.sh), runs the management half
// of the quickstart against Kluis with only environment variables: through Kluis's CONNECT proxy with az's default
// cloud, and through a cloud registered from Kluis's /metadata/endpoints without the proxy. It signs in as the
// administrator service principal; users, Microsoft Graph and management roles are not served yet, so the app is made
// with `kluis ad sp create-for-rbac` and policies name its object id.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Kluis, PYTHON, ROOT, run, type RunResult, type ServicePrincipal } from "./helpers/kluis.js";

const AZ = join(ROOT, ".venv-az/bin/az");

describe("the Azure CLI (az 2.91 from PyPI)", () => {
  let kluis: Kluis;
  let admin: { appId: string; password: string; tenant: string; objectId: string };
  let app: ServicePrincipal & { objectId: string };
  const configDirs: string[] = [];

  before(async () => {
    if (!existsSync(AZ)) throw new Error(`The Azure CLI is missing at ${AZ}: run scripts/prepare-azure-cli.sh (npm test runs it).`);
    kluis = await Kluis.start();
    admin = JSON.parse(readFileSync(join(kluis.dataDir, "admin.json"), "utf8"));
    const sp = await kluis.createServicePrincipal("quickstart-app");
    const shown = await kluis.cliJson<{ id: string }>(["ad", "sp", "show", "--id", sp.appId]);
    app = { ...sp, objectId: shown.id };
  });
  after(async () => {
    await kluis.dispose();
    for (const d of configDirs) rmSync(d, { recursive: true, force: true });
  });

  /** A shell of az's own: a fresh config directory, Kluis's CA, and (for the proxy route) HTTPS_PROXY. */
  function azShell(proxy: boolean) {
    const configDir = mkdtempSync(join(tmpdir(), "kluis-az-"));
    configDirs.push(configDir);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: configDir,
      AZURE_CONFIG_DIR: configDir,
      AZURE_CORE_COLLECT_TELEMETRY: "false",
      AZURE_CORE_NO_COLOR: "true",
      REQUESTS_CA_BUNDLE: kluis.caFile,
      ...(proxy ? { HTTPS_PROXY: kluis.proxyUrl } : {}),
    };
    const az = (...args: string[]): Promise<RunResult> => run(AZ, [...args, "--only-show-errors"], { env, timeoutMs: 180_000 });
    const azJson = async <T = any>(...args: string[]): Promise<T> => {
      const res = await az(...args, "-o", "json");
      assert.equal(res.code, 0, `az ${args.join(" ")}: ${res.stderr}`);
      return JSON.parse(res.stdout) as T;
    };
    return { az, azJson };
  }

  describe("through the CONNECT proxy, az's default cloud", () => {
    let shell: ReturnType<typeof azShell>;
    const az = (...args: string[]) => shell.az(...args);
    const azJson = <T = any>(...args: string[]) => shell.azJson<T>(...args);
    before(() => {
      shell = azShell(true);
    });

    it("signs in as a service principal and sees the subscription", async () => {
      const accounts = await azJson<{ id: string; tenantId: string; isDefault: boolean }[]>(
        "login", "--service-principal", "-u", admin.appId, "-p", admin.password, "--tenant", admin.tenant,
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
      const v = await azJson("keyvault", "create", "-n", "azquickvault", "-g", "rg", "--enable-rbac-authorization", "false", "--no-self-perms");
      assert.equal(v.properties.enableRbacAuthorization, false);
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

    it("refuses set-policy on the RBAC vault as az words it, and sets it on the access-policy vault", async () => {
      const refused = await az("keyvault", "set-policy", "-n", "azrbacvault", "--object-id", app.objectId, "--certificate-permissions", "get");
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /Cannot set policies to a vault with '--enable-rbac-authorization' specified/);
      const v = await azJson(
        "keyvault", "set-policy", "-n", "azquickvault", "--object-id", app.objectId,
        "--certificate-permissions", "delete", "get", "list", "create",
        "--secret-permissions", "get", "set", "--key-permissions", "create", "get",
      );
      const entry = v.properties.accessPolicies.find((p: { objectId: string }) => p.objectId === app.objectId);
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
      // The quickstart deleted its certificate; make one the administrator can show.
      await azJson("keyvault", "set-policy", "-n", "azquickvault", "--object-id", admin.objectId,
        "--certificate-permissions", "all", "--secret-permissions", "all", "--key-permissions", "all");
      const policy = (await az("keyvault", "certificate", "get-default-policy")).stdout;
      const created = await az("keyvault", "certificate", "create", "--vault-name", "azquickvault", "-n", "cert", "-p", policy);
      assert.equal(created.code, 0, created.stderr);
      const cert = await azJson("keyvault", "certificate", "show", "--vault-name", "azquickvault", "-n", "cert");
      assert.equal(cert.name, "cert");
      assert.match(cert.id, /^https:\/\/azquickvault\.vault\.azure\.net\/certificates\/cert\/[0-9a-f]{32}$/);
      const set = await azJson("keyvault", "secret", "set", "--vault-name", "azquickvault", "-n", "db-password", "--value", "s3cret!");
      assert.equal(set.value, "s3cret!");
      assert.equal((await azJson("keyvault", "secret", "show", "--vault-name", "azquickvault", "-n", "db-password")).value, "s3cret!");
      const key = await azJson("keyvault", "key", "create", "--vault-name", "azquickvault", "-n", "signing", "--kty", "EC", "--curve", "P-256");
      assert.equal(key.key.kty, "EC");
      assert.equal(key.key.crv, "P-256");
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

    it("lets an app without a role sign in only with --allow-no-subscriptions", async () => {
      const other = azShell(true);
      const refused = await other.az("login", "--service-principal", "-u", app.appId, "-p", app.password, "--tenant", app.tenant);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /No subscriptions found/);
      const allowed = await other.az("login", "--service-principal", "-u", app.appId, "-p", app.password, "--tenant", app.tenant, "--allow-no-subscriptions");
      assert.equal(allowed.code, 0, allowed.stderr);
      const group = await other.az("group", "create", "-n", "rg9", "-l", "westeurope");
      assert.notEqual(group.code, 0);
    });
  });

  describe("through a registered cloud, without the proxy", () => {
    let shell: ReturnType<typeof azShell>;
    before(() => {
      shell = azShell(false);
    });

    it("registers the cloud from /metadata/endpoints and signs in", async () => {
      const reg = await shell.az("cloud", "register", "-n", "kluis", "--endpoint-resource-manager", `${kluis.info.url}/`);
      assert.equal(reg.code, 0, reg.stderr);
      assert.equal((await shell.az("cloud", "set", "-n", "kluis")).code, 0);
      const cloud = await shell.azJson("cloud", "show", "-n", "kluis");
      assert.equal(cloud.endpoints.resourceManager, `${kluis.info.url}/`);
      assert.equal(cloud.suffixes.keyvaultDns, ".vault.azure.net");
      const accounts = await shell.azJson("login", "--service-principal", "-u", admin.appId, "-p", admin.password, "--tenant", admin.tenant);
      assert.equal(accounts[0].cloudName, "kluis");
    });

    it("manages groups and vaults", async () => {
      assert.equal((await shell.azJson("group", "create", "-n", "rg2", "-l", "westeurope")).name, "rg2");
      const v = await shell.azJson("keyvault", "create", "-n", "azcloudvault", "-g", "rg2", "--enable-rbac-authorization", "false", "--no-self-perms");
      assert.equal(v.name, "azcloudvault");
      assert.ok((await shell.azJson<{ name: string }[]>("keyvault", "list")).some((x) => x.name === "azcloudvault"));
      const res = await shell.az("group", "delete", "-n", "rg2", "--yes");
      assert.equal(res.code, 0, res.stderr);
      assert.ok((await shell.azJson<{ name: string }[]>("keyvault", "list-deleted")).some((x) => x.name === "azcloudvault"));
    });
  });
});
