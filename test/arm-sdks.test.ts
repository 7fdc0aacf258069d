// Issue 10: the ARM SDKs that infrastructure-as-code tools build on (@azure/arm-resources, @azure/arm-keyvault) drive
// Kluis unmodified, as its administrator: pointed at Kluis's URL (they then ask for a token for `{endpoint}/.default`,
// from Kluis as authority host), and through the CONNECT proxy with their default endpoint (management.azure.com,
// login.microsoftonline.com).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { KeyVaultManagementClient, type AccessPolicyEntry } from "@azure/arm-keyvault";
import { ResourceManagementClient } from "@azure/arm-resources";
import { ClientSecretCredential } from "@azure/identity";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";
import { clientOptions } from "./helpers/sdk.js";

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

interface Clients {
  resources: ResourceManagementClient;
  keyVault: KeyVaultManagementClient;
}

describe("ARM SDKs (@azure/arm-resources, @azure/arm-keyvault)", () => {
  let kluis: Kluis;
  let admin: { appId: string; password: string };
  let tenant: string;
  let subscription: string;
  let app: ServicePrincipal;
  before(async () => {
    kluis = await Kluis.start();
    admin = kluis.adminCredential();
    tenant = kluis.info.tenantId;
    subscription = kluis.info.subscriptionId;
    app = await kluis.createServicePrincipal("arm-sdk-app");
  });
  after(() => kluis.dispose());

  /** Kluis's URL as endpoint (the SDKs then ask for `https://localhost:PORT/.default`), Kluis as authority host. */
  function atKluisUrl(): Clients {
    const endpoint = `https://localhost:${kluis.info.port}`;
    // MSAL would otherwise ask login.microsoftonline.com whether this authority is valid (instance discovery): without
    // the proxy that host is out of reach. `disableInstanceDiscovery` is azure-identity's option for private clouds.
    const credential = new ClientSecretCredential(tenant, admin.appId, admin.password, {
      authorityHost: endpoint,
      disableInstanceDiscovery: true,
    });
    return {
      resources: new ResourceManagementClient(credential, subscription, { endpoint, $host: endpoint }),
      keyVault: new KeyVaultManagementClient(credential, subscription, { endpoint }),
    };
  }

  /** The SDKs' defaults (management.azure.com, login.microsoftonline.com), reached through Kluis's CONNECT proxy. */
  function throughProxy(): Clients {
    const options = clientOptions(kluis);
    const credential = new ClientSecretCredential(tenant, admin.appId, admin.password, options);
    return {
      resources: new ResourceManagementClient(credential, subscription, options),
      keyVault: new KeyVaultManagementClient(credential, subscription, options),
    };
  }

  it("answers ARM's AuthorizationFailed to a principal without a management role, and lists it nothing", async () => {
    const options = clientOptions(kluis);
    const credential = new ClientSecretCredential(tenant, app.appId, app.password, options);
    const denied = (err: { statusCode?: number; code?: string; message?: string }) =>
      err.statusCode === 403 && err.code === "AuthorizationFailed" && err.message!.includes(app.appId);
    const resources = new ResourceManagementClient(credential, subscription, options);
    // Listings refuse nobody in ARM: they show what the caller may read.
    assert.deepEqual(await collect(resources.resourceGroups.list()), []);
    await assert.rejects(resources.resourceGroups.createOrUpdate("denied-rg", { location: "westeurope" }), denied);
    await assert.rejects(
      new KeyVaultManagementClient(credential, subscription, options).vaults.get("kluis", "default"),
      denied,
    );
  });

  for (const [setup, clients] of [
    ["pointed at Kluis's URL", atKluisUrl],
    ["through the proxy with their default endpoint", throughProxy],
  ] as const) {
    const tag = setup.startsWith("pointed") ? "url" : "proxy";

    it(`manages resource groups and lists resources ${setup}`, async () => {
      const { resources, keyVault } = clients();
      const group = `rg-${tag}`;
      const created = await resources.resourceGroups.createOrUpdate(group, {
        location: "westeurope",
        tags: { team: "a" },
      });
      assert.equal(created.name, group);
      assert.equal(created.id, `/subscriptions/${subscription}/resourceGroups/${group}`);
      assert.equal(created.properties?.provisioningState, "Succeeded");
      assert.equal((await resources.resourceGroups.get(group)).location, "westeurope");
      assert.equal((await resources.resourceGroups.checkExistence(group)).body, true);
      assert.equal((await resources.resourceGroups.checkExistence(`${group}-none`)).body, false);

      const updated = await resources.resourceGroups.update(group, { tags: { team: "b" } });
      assert.deepEqual(updated.tags, { team: "b" });
      const listed = await collect(resources.resourceGroups.list());
      assert.ok(listed.some((g) => g.name === group && g.tags?.team === "b"));

      const vault = `arm-${tag}-v1`;
      await keyVault.vaults.createOrUpdate(group, vault, {
        location: "westeurope",
        properties: { tenantId: tenant, sku: { family: "A", name: "standard" } },
      });
      const filtered = await collect(
        resources.resources.list({ filter: `resourceType eq 'Microsoft.KeyVault/vaults' and name eq '${vault}'` }),
      );
      assert.deepEqual(
        filtered.map((r) => [r.name, r.type, r.location]),
        [[vault, "Microsoft.KeyVault/vaults", "westeurope"]],
      );
      const inGroup = await collect(resources.resources.listByResourceGroup(group));
      assert.deepEqual(
        inGroup.map((r) => r.id),
        [`/subscriptions/${subscription}/resourceGroups/${group}/providers/Microsoft.KeyVault/vaults/${vault}`],
      );

      // Deleting the group is a long-running operation the SDK polls to its end; the group's vault is soft-deleted.
      await resources.resourceGroups.beginDeleteAndWait(group);
      assert.equal((await resources.resourceGroups.checkExistence(group)).body, false);
      await assert.rejects(
        resources.resourceGroups.get(group),
        (err: { statusCode?: number; code?: string }) => err.statusCode === 404 && err.code === "ResourceGroupNotFound",
      );
      const deleted = await collect(keyVault.vaults.listDeleted());
      assert.ok(deleted.some((v) => v.name === vault));
    });

    it(`manages vaults, access policies and deleted vaults ${setup}`, async () => {
      const { resources, keyVault } = clients();
      const group = `rg-kv-${tag}`;
      await resources.resourceGroups.createOrUpdate(group, { location: "westeurope" });
      const name = `arm-${tag}-v2`;

      assert.equal(
        (await keyVault.vaults.checkNameAvailability({ name, type: "Microsoft.KeyVault/vaults" })).nameAvailable,
        true,
      );
      const policy: AccessPolicyEntry = {
        tenantId: tenant,
        objectId: admin.appId,
        permissions: { secrets: ["get", "list"] },
      };
      const vault = await keyVault.vaults.createOrUpdate(group, name, {
        location: "westeurope",
        tags: { env: "test" },
        properties: {
          tenantId: tenant,
          sku: { family: "A", name: "standard" },
          accessPolicies: [policy],
          enableRbacAuthorization: false,
        },
      });
      assert.equal(vault.name, name);
      assert.equal(vault.properties.vaultUri, `https://${name}.vault.azure.net/`);
      assert.equal(vault.properties.enableRbacAuthorization, false);
      const taken = await keyVault.vaults.checkNameAvailability({ name, type: "Microsoft.KeyVault/vaults" });
      assert.equal(taken.nameAvailable, false);
      assert.equal(taken.reason, "AlreadyExists");

      assert.equal((await keyVault.vaults.get(group, name)).tags?.env, "test");
      assert.ok(
        (await collect(keyVault.vaults.list())).some((v) => v.name === name && v.type === "Microsoft.KeyVault/vaults"),
      );
      assert.ok((await collect(keyVault.vaults.listBySubscription())).some((v) => v.name === name));
      assert.deepEqual(
        (await collect(keyVault.vaults.listByResourceGroup(group))).map((v) => v.name),
        [name],
      );

      // ARM addresses a vault under its group, whose name is case-insensitive; through another group it is not there.
      const other = `rg-other-${tag}`;
      await resources.resourceGroups.createOrUpdate(other, { location: "westeurope" });
      const notThere = (err: { statusCode?: number; code?: string }) =>
        err.statusCode === 404 && err.code === "ResourceNotFound";
      await assert.rejects(keyVault.vaults.get(other, name), notThere);
      await assert.rejects(keyVault.vaults.update(other, name, { tags: {} }), notThere);
      await assert.rejects(
        keyVault.vaults.updateAccessPolicy(other, name, "add", { properties: { accessPolicies: [policy] } }),
        notThere,
      );
      await keyVault.vaults.delete(other, name); // a vault not there: 204, and this one stays
      const noGroup = (err: { statusCode?: number; code?: string }) =>
        err.statusCode === 404 && err.code === "ResourceGroupNotFound";
      await assert.rejects(collect(keyVault.vaults.listByResourceGroup(`${other}-none`)), noGroup);
      await assert.rejects(keyVault.vaults.get(`${other}-none`, name), noGroup);
      assert.equal((await keyVault.vaults.get(group.toUpperCase(), name)).name, name);

      const patched = await keyVault.vaults.update(group.toUpperCase(), name, {
        tags: { env: "prod" },
        properties: { enabledForDeployment: true },
      });
      assert.equal(patched.tags?.env, "prod");
      assert.equal(patched.properties.enabledForDeployment, true);

      const added = await keyVault.vaults.updateAccessPolicy(group, name, "add", {
        properties: {
          accessPolicies: [{ tenantId: tenant, objectId: app.appId, permissions: { certificates: ["get"] } }],
        },
      });
      assert.ok(added.properties.accessPolicies.some((p) => p.objectId === app.appId));
      const afterAdd = await keyVault.vaults.get(group, name);
      assert.deepEqual(
        afterAdd.properties.accessPolicies?.find((p) => p.objectId === app.appId)?.permissions.certificates,
        ["get"],
      );
      await keyVault.vaults.updateAccessPolicy(group, name, "remove", {
        properties: { accessPolicies: [{ tenantId: tenant, objectId: app.appId, permissions: {} }] },
      });
      assert.ok(
        !(await keyVault.vaults.get(group, name)).properties.accessPolicies?.some((p) => p.objectId === app.appId),
      );

      await keyVault.vaults.delete(group, name);
      await assert.rejects(keyVault.vaults.get(group, name), (err: { statusCode?: number }) => err.statusCode === 404);
      const deleted = await keyVault.vaults.getDeleted(name, "westeurope");
      assert.equal(
        deleted.properties?.vaultId,
        `/subscriptions/${subscription}/resourceGroups/${group}/providers/Microsoft.KeyVault/vaults/${name}`,
      );
      assert.ok((await collect(keyVault.vaults.listDeleted())).some((v) => v.name === name));
      await keyVault.vaults.purgeDeleted(name, "westeurope");
      assert.ok(!(await collect(keyVault.vaults.listDeleted())).some((v) => v.name === name));
      await assert.rejects(
        keyVault.vaults.getDeleted(name, "westeurope"),
        (err: { statusCode?: number }) => err.statusCode === 404,
      );
      assert.equal(
        (await keyVault.vaults.checkNameAvailability({ name, type: "Microsoft.KeyVault/vaults" })).nameAvailable,
        true,
      );
    });
  }
});
