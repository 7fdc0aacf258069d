// Vault soft delete, as ARM's Microsoft.KeyVault/deletedVaults: delete keeps the vault and its contents until it
// is recovered or purged; a deleted name cannot be reused; purge protection refuses purge.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fetchToken, rawRequest } from "./helpers/http.js";
import { Kluis } from "./helpers/kluis.js";

describe("vault soft delete", () => {
  let kluis: Kluis;
  before(async () => {
    kluis = await Kluis.start();
  });
  after(() => kluis.dispose());

  const secretShow = () =>
    kluis.cli(["keyvault", "secret", "show", "--vault-name", "softvault", "-n", "s1", "--query", "value", "-o", "tsv"]);

  it("deletes, lists, refuses the name, recovers with contents, then purges for good", async () => {
    await kluis.createVault("softvault");
    await kluis.cliJson(["keyvault", "secret", "set", "--vault-name", "softvault", "-n", "s1", "--value", "kept"]);

    assert.equal((await kluis.cli(["keyvault", "delete", "--name", "softvault"])).code, 0);
    const shown = await kluis.cli(["keyvault", "show", "--name", "softvault"]);
    assert.notEqual(shown.code, 0);
    assert.notEqual((await secretShow()).code, 0, "a deleted vault serves nothing");

    const deleted = await kluis.cliJson(["keyvault", "list-deleted"]);
    assert.deepEqual(
      deleted.map((v: { name: string }) => v.name),
      ["softvault"],
    );
    const days =
      (Date.parse(deleted[0].properties.scheduledPurgeDate) - Date.parse(deleted[0].properties.deletionDate)) /
      86400_000;
    assert.equal(Math.round(days), 90);

    const again = await kluis.cli(["keyvault", "create", "--name", "softvault"]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /^ERROR: A vault with the same name already exists in deleted state/);

    const recovered = await kluis.cliJson(["keyvault", "recover", "--name", "softvault"]);
    assert.equal(recovered.name, "softvault");
    const value = await secretShow();
    assert.equal(value.code, 0, value.stderr);
    assert.equal(value.stdout.trim(), "kept");

    assert.equal((await kluis.cli(["keyvault", "delete", "--name", "softvault"])).code, 0);
    assert.equal((await kluis.cli(["keyvault", "purge", "--name", "softvault"])).code, 0);
    assert.deepEqual(await kluis.cliJson(["keyvault", "list-deleted"]), []);
    await kluis.createVault("softvault");
    assert.notEqual((await secretShow()).code, 0, "a purged vault's secrets are gone");
  });

  it("refuses to purge a vault with purge protection", async () => {
    await kluis.cliJson(["keyvault", "create", "--name", "guardedvault", "--enable-purge-protection", "true"]);
    assert.equal((await kluis.cli(["keyvault", "delete", "--name", "guardedvault"])).code, 0);
    const purge = await kluis.cli(["keyvault", "purge", "--name", "guardedvault"]);
    assert.notEqual(purge.code, 0);
    assert.match(purge.stderr, /purge protection/);
    assert.equal((await kluis.cliJson(["keyvault", "list-deleted"])).length, 1);
  });

  it("answers properties of the wrong type with ARM's 400 and creates nothing", async () => {
    const admin = kluis.adminCredential();
    const token = (await fetchToken(kluis, admin, "https://management.azure.com/.default")).body.access_token as string;
    const subscription = (
      await rawRequest(kluis, "localhost", "GET", "/subscriptions?api-version=2022-12-01", { token })
    ).body.value[0].subscriptionId;
    const vault = `/subscriptions/${subscription}/resourceGroups/kluis/providers/Microsoft.KeyVault/vaults/typedvault?api-version=2023-07-01`;
    const bad: [object, RegExp][] = [
      [{ location: "x", properties: { enableRbacAuthorization: "yes" } }, /enableRbacAuthorization/],
      [{ location: "x", properties: { accessPolicies: true } }, /accessPolicies/],
      [
        {
          location: "x",
          properties: { accessPolicies: [{ tenantId: "t", objectId: "o", permissions: { secrets: [null] } }] },
        },
        /secrets/,
      ],
      [{ location: "x", properties: { sku: { family: "A", name: "gold" } } }, /sku/],
      [{ location: 7 }, /location/],
      [{ location: "x", tags: { a: 1 } }, /tags/],
    ];
    for (const [body, field] of bad) {
      const res = await rawRequest(kluis, "localhost", "PUT", vault, { token, body: JSON.stringify(body) });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, "BadParameter");
      assert.match(res.body.error.message, field);
    }
    assert.equal((await rawRequest(kluis, "localhost", "GET", vault, { token })).status, 404);
  });
});
