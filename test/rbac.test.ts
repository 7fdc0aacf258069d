// Role-based access: a vault with enableRbacAuthorization answers by built-in role assignments, not access policies.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { accessToken, rawRequest } from "./helpers/http.js";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";

const API = "api-version=7.5";

describe("role-based access", () => {
  let kluis: Kluis;
  let officer: ServicePrincipal;
  let reader: ServicePrincipal;
  let vaultId: string;
  const host = "rbacvault.localhost";

  before(async () => {
    kluis = await Kluis.start();
    const vault = await kluis.cliJson([
      "keyvault",
      "create",
      "--name",
      "rbacvault",
      "--enable-rbac-authorization",
      "true",
    ]);
    vaultId = vault.id;
    assert.equal(vault.properties.enableRbacAuthorization, true);
    officer = await kluis.createServicePrincipal("officer");
    reader = await kluis.createServicePrincipal("reader");
  });
  after(() => kluis.dispose());

  const setSecret = async (sp: ServicePrincipal, name: string) =>
    rawRequest(kluis, host, "PUT", `/secrets/${name}?${API}`, {
      token: await accessToken(kluis, sp),
      body: JSON.stringify({ value: "v" }),
    });
  const getSecret = async (sp: ServicePrincipal, name: string) =>
    rawRequest(kluis, host, "GET", `/secrets/${name}?${API}`, { token: await accessToken(kluis, sp) });

  it("refuses a principal with no role, even one holding an access policy, with Key Vault's RBAC 403", async () => {
    await kluis.setPolicy("rbacvault", officer.appId, { secrets: ["get", "set"] });
    const res = await setSecret(officer, "s1");
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, "Forbidden");
    assert.equal(res.body.error.innererror.code, "ForbiddenByRbac");
    assert.match(res.body.error.message, /Action: 'Microsoft\.KeyVault\/vaults\/secrets\/setSecret\/action'/);
  });

  it("lets role holders do what their roles grant, and nothing more", async () => {
    const officerAssignment = await kluis.cliJson([
      "role",
      "assignment",
      "create",
      "--role",
      "Key Vault Secrets Officer",
      "--assignee",
      officer.appId,
      "--scope",
      vaultId,
    ]);
    assert.match(officerAssignment.properties.roleDefinitionId, /b86a8fe4-44ce-4948-aee5-eccb2c155cd7$/);
    await kluis.cliJson([
      "role",
      "assignment",
      "create",
      "--role",
      "Key Vault Secrets User",
      "--assignee",
      reader.appId,
      "--scope",
      "rbacvault",
    ]);
    // Assignments are read through a cache of at most a second.
    await new Promise((r) => setTimeout(r, 1100));

    assert.equal((await setSecret(officer, "s1")).status, 200);
    const read = await getSecret(reader, "s1");
    assert.equal(read.status, 200);
    assert.equal(read.body.value, "v");
    const denied = await setSecret(reader, "s2");
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.innererror.code, "ForbiddenByRbac");
    // Secrets roles say nothing about certificates.
    const certs = await rawRequest(kluis, host, "GET", `/certificates?${API}`, {
      token: await accessToken(kluis, officer),
    });
    assert.equal(certs.status, 403);

    const listed = await kluis.cliJson(["role", "assignment", "list", "--scope", "rbacvault"]);
    assert.equal(listed.length, 2);
    const removed = await kluis.cli(["role", "assignment", "delete", "--ids", officerAssignment.id]);
    assert.equal(removed.code, 0, removed.stderr);
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await setSecret(officer, "s3")).status, 403);
  });

  it("lists the built-in roles and rejects an unknown one", async () => {
    const roles = await kluis.cliJson(["role", "definition", "list"]);
    assert.ok(roles.some((r: any) => r.roleName === "Key Vault Administrator" && r.roleType === "BuiltInRole"));
    const bad = await kluis.cli([
      "role",
      "assignment",
      "create",
      "--role",
      "Vault Emperor",
      "--assignee",
      reader.appId,
      "--scope",
      vaultId,
    ]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /^ERROR: Role 'Vault Emperor' doesn't exist\./);
  });
});
