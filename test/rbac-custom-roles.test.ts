// Custom roles: written in az's role-definition format, listed beside the built-in roles, assigned and evaluated like
// them (data actions minus exclusions, wildcards), refused when invalid, and not deleted while assignments use them.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SecretClient } from "@azure/keyvault-secrets";
import { accessToken, rawRequest } from "./helpers/http.js";
import { Kluis, type RunResult, type ServicePrincipal } from "./helpers/kluis.js";
import { armRequest, eventually, forbiddenByRbac, listingForbidden } from "./helpers/rbac.js";
import { clientOptions, credentialFor, vaultUrl } from "./helpers/sdk.js";

const VAULT = "customrolevault";
const SECRETS = "Microsoft.KeyVault/vaults/secrets";
const READER_ROLE = "Secret Reader No List";
const WRITER_ROLE = "Secret Writer No Delete";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Expects the CLI to fail with one `ERROR: ...` line matching `message`. */
function failsWith(res: RunResult, message: RegExp): void {
  assert.equal(res.code, 1, res.stdout);
  assert.equal(res.stderr.trimEnd().split("\n").length, 1, res.stderr);
  assert.match(res.stderr, new RegExp(`^ERROR: ${message.source}`));
}

describe("custom roles", () => {
  let kluis: Kluis;
  let vaultId: string;
  let resourceGroupId: string;
  let subscriptionId: string;
  let reader: ServicePrincipal;
  let writer: ServicePrincipal;
  let readerAssignmentId: string;
  let readerRoleId: string;

  before(async () => {
    kluis = await Kluis.start();
    vaultId = (await kluis.cliJson(["keyvault", "create", "--name", VAULT, "--enable-rbac-authorization", "true"])).id;
    resourceGroupId = vaultId.split("/providers/")[0]!;
    subscriptionId = vaultId.split("/")[2]!;
    const owner = await kluis.createServicePrincipal("custom-role-owner");
    reader = await kluis.createServicePrincipal("custom-role-reader");
    writer = await kluis.createServicePrincipal("custom-role-writer");
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
    await eventually(async () => void (await secrets.setSecret("db-password", "hunter2")));
  });
  after(() => kluis.dispose());

  const secretsOf = (sp: ServicePrincipal) =>
    new SecretClient(vaultUrl(VAULT), credentialFor(kluis, sp), clientOptions(kluis));
  /** `role definition create` with an inline az definition. */
  const createRole = (definition: Record<string, unknown>) =>
    kluis.cli(["role", "definition", "create", "--role-definition", JSON.stringify(definition)]);
  const definitionsPath = () => `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions`;

  it("creates a custom role from az's file format and lists it beside the built-in roles", async () => {
    const file = join(kluis.dataDir, "role.json");
    writeFileSync(
      file,
      JSON.stringify({
        Name: READER_ROLE,
        IsCustom: true,
        Description: "Reads secret values, never lists them.",
        Actions: [],
        NotActions: [],
        DataActions: [`${SECRETS}/getSecret/action`],
        NotDataActions: [],
        AssignableScopes: [vaultId],
      }),
    );
    const role = await kluis.cliJson(["role", "definition", "create", "--role-definition", `@${file}`]);
    assert.equal(role.roleName, READER_ROLE);
    assert.equal(role.roleType, "CustomRole");
    assert.equal(role.type, "Microsoft.Authorization/roleDefinitions");
    assert.match(role.name, GUID);
    assert.equal(role.id, `${definitionsPath()}/${role.name}`);
    assert.deepEqual(role.permissions, [
      { actions: [], notActions: [], dataActions: [`${SECRETS}/getSecret/action`], notDataActions: [] },
    ]);
    assert.deepEqual(role.assignableScopes, [vaultId]);
    readerRoleId = role.name;

    const all = await kluis.cliJson(["role", "definition", "list"]);
    assert.ok(
      all.some(
        (r: any) =>
          r.roleName === "Key Vault Secrets User" && r.roleType === "BuiltInRole" && r.assignableScopes[0] === "/",
      ),
    );
    assert.ok(all.some((r: any) => r.roleName === READER_ROLE));
    const custom = await kluis.cliJson(["role", "definition", "list", "--custom-role-only"]);
    assert.deepEqual(
      custom.map((r: any) => r.roleName),
      [READER_ROLE],
    );
    assert.deepEqual(
      (await kluis.cliJson(["role", "definition", "list", "--name", READER_ROLE])).map((r: any) => r.name),
      [readerRoleId],
    );
    assert.deepEqual(
      (await kluis.cliJson(["role", "definition", "list", "--name", readerRoleId])).map((r: any) => r.roleName),
      [READER_ROLE],
    );
    // ARM's own shape, by id.
    const got = await armRequest(kluis, "GET", `${definitionsPath()}/${readerRoleId}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.properties.type, "CustomRole");
  });

  it("lets its holder read a secret's value, but not list secrets or set one", async () => {
    const assignment = await kluis.cliJson([
      "role",
      "assignment",
      "create",
      "--role",
      READER_ROLE,
      "--assignee",
      reader.appId,
      "--scope",
      VAULT,
    ]);
    assert.match(assignment.properties.roleDefinitionId, new RegExp(`/roleDefinitions/${readerRoleId}$`));
    readerAssignmentId = assignment.id;
    const client = secretsOf(reader);

    await eventually(async () => assert.equal((await client.getSecret("db-password")).value, "hunter2"));
    await listingForbidden(client.listPropertiesOfSecrets());
    const list = await rawRequest(kluis, `${VAULT}.localhost`, "GET", "/secrets?api-version=7.5", {
      token: await accessToken(kluis, reader),
    });
    assert.equal(list.status, 403);
    assert.equal(list.body.error.innererror.code, "ForbiddenByRbac");
    assert.match(list.body.error.message, /Action: 'Microsoft\.KeyVault\/vaults\/secrets\/readMetadata\/action'/);
    await forbiddenByRbac(client.setSecret("db-password", "changed"));
  });

  it("grants a wildcard's data actions minus its exclusions: secrets/* without delete sets but does not delete", async () => {
    const role = await createRole({
      Name: WRITER_ROLE,
      DataActions: [`${SECRETS}/*`],
      NotDataActions: [`${SECRETS}/delete`],
      AssignableScopes: [resourceGroupId],
    });
    assert.equal(role.code, 0, role.stderr);
    await kluis.cliJson([
      "role",
      "assignment",
      "create",
      "--role",
      WRITER_ROLE,
      "--assignee",
      writer.appId,
      "--scope",
      vaultId,
    ]);
    const client = secretsOf(writer);

    await eventually(async () => assert.equal((await client.setSecret("api-key", "k1")).value, "k1"));
    assert.equal((await client.getSecret("api-key")).value, "k1");
    await forbiddenByRbac(client.beginDeleteSecret("api-key"));
  });

  it("refuses an assignment outside the role's assignable scopes, and a change that would leave one outside", async () => {
    const cli = await kluis.cli([
      "role",
      "assignment",
      "create",
      "--role",
      READER_ROLE,
      "--assignee",
      writer.appId,
      "--scope",
      resourceGroupId,
    ]);
    failsWith(
      cli,
      /The role 'Secret Reader No List' cannot be assigned at scope '[^']+': its assignable scopes are '[^']+vaults\/customrolevault'\./,
    );
    const raw = await armRequest(
      kluis,
      "PUT",
      `${resourceGroupId}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}`,
      {
        properties: { roleDefinitionId: readerRoleId, principalId: writer.appId },
      },
    );
    assert.equal(raw.status, 400);
    assert.equal(raw.body.error.code, "ScopeDoesNotMatchRoleDefinition");
    // Within them, on one object of the vault, it is fine.
    const onSecret = await kluis.cli([
      "role",
      "assignment",
      "create",
      "--role",
      READER_ROLE,
      "--assignee",
      writer.appId,
      "--scope",
      `${vaultId}/secrets/db-password`,
    ]);
    assert.equal(onSecret.code, 0, onSecret.stderr);
    assert.equal((await kluis.cli(["role", "assignment", "delete", "--ids", JSON.parse(onSecret.stdout).id])).code, 0);

    const narrowed = await armRequest(kluis, "PUT", `${definitionsPath()}/${readerRoleId}`, {
      properties: {
        roleName: READER_ROLE,
        permissions: [{ dataActions: [`${SECRETS}/getSecret/action`] }],
        assignableScopes: [`${resourceGroupId}/providers/Microsoft.KeyVault/vaults/othervault`],
      },
    });
    assert.equal(narrowed.status, 400);
    assert.equal(narrowed.body.error.code, "ScopeDoesNotMatchRoleDefinition");
  });

  it("refuses invalid definitions with 400 in ARM's shape and a one-line CLI error", async () => {
    const valid = { Name: "Valid Name", DataActions: [`${SECRETS}/getSecret/action`], AssignableScopes: [vaultId] };
    const cases: [Record<string, unknown>, number, string, RegExp][] = [
      [
        { ...valid, DataActions: [`${SECRETS}/teleport/action`] },
        400,
        "InvalidDataActionOrNotDataAction",
        /'Microsoft\.KeyVault\/vaults\/secrets\/teleport\/action' does not match any of the Key Vault data actions/,
      ],
      [
        { ...valid, DataActions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"] },
        400,
        "InvalidDataActionOrNotDataAction",
        /'Microsoft\.Storage\/[^']+' does not match/,
      ],
      [
        { ...valid, NotDataActions: ["Microsoft.KeyVault/vaults/widgets/*"] },
        400,
        "InvalidDataActionOrNotDataAction",
        /'Microsoft\.KeyVault\/vaults\/widgets\/\*' does not match/,
      ],
      [{ ...valid, Name: "" }, 400, "BadParameter", /properties\.roleName is required\./],
      [{ ...valid, Name: undefined }, 400, "BadParameter", /properties\.roleName is required\./],
      [
        { ...valid, Name: WRITER_ROLE.toUpperCase() },
        409,
        "RoleDefinitionWithSameNameExists",
        /A role definition cannot be updated with a name that already exists/,
      ],
      [
        { ...valid, Name: "Key Vault Reader" },
        409,
        "RoleDefinitionWithSameNameExists",
        /A role definition cannot be updated with a name that already exists/,
      ],
      [
        { ...valid, AssignableScopes: ["/subscriptions/00000000-0000-0000-0000-000000000000"] },
        400,
        "InvalidAssignableScope",
        /The assignable scope '\/subscriptions\/0{8}-[^']+' is not valid/,
      ],
      [{ ...valid, AssignableScopes: ["/"] }, 400, "InvalidAssignableScope", /The assignable scope '\/' is not valid/],
      [
        { ...valid, AssignableScopes: [`${vaultId}/secrets/db-password`] },
        400,
        "InvalidAssignableScope",
        /The assignable scope '[^']+\/secrets\/db-password' is not valid/,
      ],
      [
        { ...valid, AssignableScopes: [] },
        400,
        "InvalidAssignableScope",
        /properties\.assignableScopes must name at least one scope\./,
      ],
    ];
    for (const [definition, status, code, message] of cases) {
      failsWith(await createRole(definition), message);
      const assignableScopes = definition.AssignableScopes;
      const raw = await armRequest(kluis, "PUT", `${definitionsPath()}/${crypto.randomUUID()}`, {
        properties: {
          roleName: definition.Name,
          permissions: [{ dataActions: definition.DataActions, notDataActions: definition.NotDataActions }],
          assignableScopes,
        },
      });
      assert.equal(raw.status, status, JSON.stringify(definition));
      assert.equal(raw.body.error.code, code);
      assert.match(raw.body.error.message, message);
    }
    failsWith(
      await kluis.cli(["role", "definition", "create", "--role-definition", "[1]"]),
      /Invalid role definition\. A valid dictionary JSON representation is expected\./,
    );
    const badId = await armRequest(kluis, "PUT", `${definitionsPath()}/not-a-guid`, {
      properties: { roleName: "x", permissions: [{}], assignableScopes: [vaultId] },
    });
    assert.equal(badId.status, 400);
    assert.equal(badId.body.error.code, "InvalidRoleDefinitionId");
    const custom = await kluis.cliJson(["role", "definition", "list", "--custom-role-only", "--query", "[].roleName"]);
    assert.deepEqual(custom.sort(), [READER_ROLE, WRITER_ROLE]);
  });

  it("refuses to delete a role that assignments use, and deletes it once they are gone", async () => {
    failsWith(
      await kluis.cli(["role", "definition", "delete", "--name", READER_ROLE]),
      /There are existing role assignments referencing role 'Secret Reader No List' \(1\): delete them before the role\./,
    );
    const raw = await armRequest(kluis, "DELETE", `${definitionsPath()}/${readerRoleId}`);
    assert.equal(raw.status, 409);
    assert.equal(raw.body.error.code, "RoleDefinitionHasAssignments");

    const removed = await kluis.cli(["role", "assignment", "delete", "--ids", readerAssignmentId]);
    assert.equal(removed.code, 0, removed.stderr);
    const deleted = await kluis.cli(["role", "definition", "delete", "--name", READER_ROLE]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const custom = await kluis.cliJson(["role", "definition", "list", "--custom-role-only"]);
    assert.deepEqual(
      custom.map((r: any) => r.roleName),
      [WRITER_ROLE],
    );
    assert.equal((await armRequest(kluis, "GET", `${definitionsPath()}/${readerRoleId}`)).status, 404);
    assert.equal((await armRequest(kluis, "DELETE", `${definitionsPath()}/${readerRoleId}`)).status, 204);
    await eventually(() => forbiddenByRbac(secretsOf(reader).getSecret("db-password")));
  });

  it("lists the built-in roles with the ids, names and permissions of Azure's published list", async () => {
    // learn.microsoft.com/azure/role-based-access-control/built-in-roles (Privileged, General, Security).
    const AZURE: Record<string, string> = {
      Owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
      Contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
      Reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
      "User Access Administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
      "Key Vault Contributor": "f25e0fa2-a7c8-4377-a976-54943a77a395",
      "Key Vault Administrator": "00482a5a-887f-4fb3-b363-3b7fe8e74483",
      "Key Vault Reader": "21090545-7ca7-4776-b22c-e363652d74d2",
      "Key Vault Certificates Officer": "a4417e6f-fecd-4de8-b567-7b0420556985",
      "Key Vault Certificate User": "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba",
      "Key Vault Crypto Officer": "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
      "Key Vault Crypto User": "12338af0-0e69-4776-bea7-57ae8d297424",
      "Key Vault Crypto Service Encryption User": "e147488a-f6f5-4113-8e2d-b22465e65bf6",
      "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
      "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    };
    const builtIn = (await armRequest(kluis, "GET", definitionsPath())).body.value.filter(
      (r: any) => r.properties.type === "BuiltInRole",
    );
    assert.deepEqual(
      Object.fromEntries(builtIn.map((r: any) => [r.properties.roleName, r.name])),
      AZURE,
      "every built-in role, by its Azure id",
    );
    const role = (name: string) => builtIn.find((r: any) => r.properties.roleName === name).properties;
    assert.deepEqual(role("Key Vault Certificates Officer").permissions[0].dataActions, [
      "Microsoft.KeyVault/vaults/certificatecas/*",
      "Microsoft.KeyVault/vaults/certificates/*",
      "Microsoft.KeyVault/vaults/certificatecontacts/write",
    ]);
    assert.deepEqual(role("Key Vault Crypto Service Encryption User").permissions[0].actions, [
      "Microsoft.EventGrid/eventSubscriptions/write",
      "Microsoft.EventGrid/eventSubscriptions/read",
      "Microsoft.EventGrid/eventSubscriptions/delete",
    ]);
    assert.equal(
      role("Key Vault Secrets User").description,
      "Read secret contents. Only works for key vaults that use the 'Azure role-based access control' permission model.",
    );
  });

  it("refuses to delete or change a built-in role", async () => {
    failsWith(
      await kluis.cli(["role", "definition", "delete", "--name", "Key Vault Reader"]),
      /'Key Vault Reader' is a built-in role: it cannot be changed or deleted\./,
    );
    const readerId = "21090545-7ca7-4776-b22c-e363652d74d2";
    const raw = await armRequest(kluis, "DELETE", `${definitionsPath()}/${readerId}`);
    assert.equal(raw.status, 403);
    assert.equal(raw.body.error.code, "AuthorizationFailed");
    const put = await armRequest(kluis, "PUT", `${definitionsPath()}/${readerId}`, {
      properties: {
        roleName: "Key Vault Reader",
        permissions: [{ dataActions: [`${SECRETS}/*`] }],
        assignableScopes: [vaultId],
      },
    });
    assert.equal(put.status, 403);
    assert.ok((await kluis.cliJson(["role", "definition", "list", "--name", "Key Vault Reader"])).length === 1);
  });
});
