// Role assignments scoped to one secret or key of a vault that uses role-based access: they grant their data
// actions on that object only (any version, any spelling of its name), never on its neighbours or the collection.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { CryptographyClient, KeyClient } from "@azure/keyvault-keys";
import { SecretClient } from "@azure/keyvault-secrets";
import { accessToken, rawRequest } from "./helpers/http.js";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";
import { armRequest, eventually, forbiddenByRbac, listingForbidden } from "./helpers/rbac.js";
import { clientOptions, credentialFor, vaultUrl } from "./helpers/sdk.js";

const VAULT = "objscopevault";

describe("role assignments scoped to one object", () => {
  let kluis: Kluis;
  let vaultId: string;
  let reader: ServicePrincipal;
  let signer: ServicePrincipal;
  let readerAssignmentId: string;

  before(async () => {
    kluis = await Kluis.start();
    vaultId = (await kluis.cliJson(["keyvault", "create", "--name", VAULT, "--enable-rbac-authorization", "true"])).id;
    const owner = await kluis.createServicePrincipal("object-scope-owner");
    reader = await kluis.createServicePrincipal("object-scope-reader");
    signer = await kluis.createServicePrincipal("object-scope-signer");
    await kluis.cliJson([
      "role",
      "assignment",
      "create",
      "--role",
      "Key Vault Administrator",
      "--assignee",
      owner.appId,
      "--scope",
      VAULT,
    ]);

    const secrets = new SecretClient(vaultUrl(VAULT), credentialFor(kluis, owner), clientOptions(kluis));
    const keys = new KeyClient(vaultUrl(VAULT), credentialFor(kluis, owner), clientOptions(kluis));
    await eventually(async () => void (await secrets.setSecret("a", "alpha")));
    await secrets.setSecret("a", "alpha-2");
    await secrets.setSecret("b", "beta");
    await keys.createEcKey("signing", { curve: "P-256" });
    await keys.createEcKey("other", { curve: "P-256" });
  });
  after(() => kluis.dispose());

  const secretsOf = (sp: ServicePrincipal) =>
    new SecretClient(vaultUrl(VAULT), credentialFor(kluis, sp), clientOptions(kluis));
  const signWith = (sp: ServicePrincipal, key: string) =>
    new CryptographyClient(`${vaultUrl(VAULT)}/keys/${key}`, credentialFor(kluis, sp), clientOptions(kluis)).sign(
      "ES256",
      createHash("sha256").update("data").digest(),
    );

  /**
   * A role assignment PUT straight to the ARM API as the administrator, for what the CLI would not send (its principal
   * named by its type, as Azure lets one assign a principal its directory does not hold yet).
   */
  const putAssignment = (scope: string) =>
    armRequest(kluis, "PUT", `${scope}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}`, {
      properties: {
        roleDefinitionId: "4633458b-17de-408a-b874-0445c86b69e6",
        principalId: reader.appId,
        principalType: "ServicePrincipal",
      },
    });

  it("lets Key Vault Secrets User on one secret read that secret only, in any spelling and version", async () => {
    const assignment = await kluis.cliJson([
      "role",
      "assignment",
      "create",
      "--role",
      "Key Vault Secrets User",
      "--assignee",
      reader.appId,
      "--scope",
      `${vaultId}/secrets/a`,
    ]);
    assert.equal(assignment.properties.scope, `${vaultId}/secrets/a`);
    readerAssignmentId = assignment.id;
    const client = secretsOf(reader);

    await eventually(async () => assert.equal((await client.getSecret("a")).value, "alpha-2"));
    assert.equal((await client.getSecret("A")).value, "alpha-2");
    const versions = [];
    for await (const v of client.listPropertiesOfSecretVersions("a")) versions.push(v);
    assert.equal(versions.length, 2);
    const values = await Promise.all(versions.map((v) => client.getSecret("a", { version: v.version! })));
    assert.deepEqual(values.map((s) => s.value).sort(), ["alpha", "alpha-2"]);

    await forbiddenByRbac(client.getSecret("b"));
    await listingForbidden(client.listPropertiesOfSecrets());
    const token = await accessToken(kluis, reader);
    const list = await rawRequest(kluis, `${VAULT}.localhost`, "GET", "/secrets?api-version=7.5", { token });
    assert.equal(list.status, 403);
    assert.equal(list.body.error.innererror.code, "ForbiddenByRbac");
    // The refusal names the object the request was on.
    const refused = await rawRequest(kluis, `${VAULT}.localhost`, "GET", "/secrets/b?api-version=7.5", { token });
    assert.match(refused.body.error.message, /Resource: '\/subscriptions\/[^']+\/vaults\/objscopevault\/secrets\/b'/);

    const listed = await kluis.cliJson(["role", "assignment", "list", "--scope", `${vaultId}/secrets/A`]);
    assert.ok(listed.some((a: { id: string }) => a.id === readerAssignmentId));
    const elsewhere = await kluis.cliJson(["role", "assignment", "list", "--scope", `${vaultId}/secrets/b`]);
    assert.ok(!elsewhere.some((a: { id: string }) => a.id === readerAssignmentId));
  });

  it("lets Key Vault Crypto User on one key (scope in another case) sign with that key only", async () => {
    await kluis.cliJson([
      "role",
      "assignment",
      "create",
      "--role",
      "Key Vault Crypto User",
      "--assignee",
      signer.appId,
      "--scope",
      `${vaultId}/keys/SIGNING`,
    ]);
    await eventually(async () => assert.equal((await signWith(signer, "signing")).algorithm, "ES256"));
    await forbiddenByRbac(signWith(signer, "other"));
    await listingForbidden(
      new KeyClient(vaultUrl(VAULT), credentialFor(kluis, signer), clientOptions(kluis)).listPropertiesOfKeys(),
    );
    // A key role says nothing about the secrets of the same name.
    await forbiddenByRbac(secretsOf(signer).getSecret("signing"));
  });

  it("takes the access away when the assignment is deleted", async () => {
    const removed = await kluis.cli(["role", "assignment", "delete", "--ids", readerAssignmentId]);
    assert.equal(removed.code, 0, removed.stderr);
    await eventually(() => forbiddenByRbac(secretsOf(reader).getSecret("a")));
  });

  it("refuses a scope that is not a secret, key or certificate with a valid name, in ARM's error shape", async () => {
    const kind = await putAssignment(`${vaultId}/widgets/a`);
    assert.equal(kind.status, 400);
    assert.equal(kind.body.error.code, "InvalidResourceType");
    for (const name of ["bad_name", "x".repeat(128)]) {
      const bad = await putAssignment(`${vaultId}/secrets/${name}`);
      assert.equal(bad.status, 400, name);
      assert.equal(bad.body.error.code, "BadParameter");
      assert.match(bad.body.error.message, /invalid secret name/);
    }
    const cli = await kluis.cli([
      "role",
      "assignment",
      "create",
      "--role",
      "Key Vault Secrets User",
      "--assignee",
      reader.appId,
      "--scope",
      `${vaultId}/storage/a`,
    ]);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /^ERROR: The resource type 'vaults\/storage' could not be found/);
    assert.equal((await putAssignment(`${vaultId}/Certificates/web-cert`)).status, 201);
  });
});
