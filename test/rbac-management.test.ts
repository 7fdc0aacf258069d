// Management-plane RBAC (issue 10, part 4): Owner, Contributor, Reader and Key Vault Contributor at subscription, group
// and vault scope, checked on every ARM call with ARM's AuthorizationFailed; role assignments and custom roles kept
// in their own tables (migration 0007) so that concurrent writers on two PostgreSQL nodes lose nothing.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import SqliteDatabase from "better-sqlite3";
import { startAzTestServer, type AzTestServer } from "./helpers/az.js";
import { fetchToken, type RawResponse } from "./helpers/http.js";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";
import { type Cluster, needsPostgres, startCluster } from "./helpers/cluster.js";
import { armRequest, armRequestAs, armRequestWithToken } from "./helpers/rbac.js";

const ROLE = {
  owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
  contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
  reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
  keyVaultContributor: "f25e0fa2-a7c8-4377-a976-54943a77a395",
  secretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
};
const AUTH = "providers/Microsoft.Authorization";

/** The object id a principal's tokens carry (what role assignments name). */
async function objectIdOf(kluis: Kluis, sp: ServicePrincipal): Promise<string> {
  const token = (await fetchToken(kluis, sp, "https://management.azure.com/.default")).body.access_token as string;
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).oid as string;
}

/** Expects ARM's refusal, word for word, for `action` over `scope`. */
function refused(res: RawResponse, sp: ServicePrincipal, oid: string, action: string, scope: string): void {
  assert.equal(res.status, 403, JSON.stringify(res.body));
  assert.deepEqual(res.body, {
    error: {
      code: "AuthorizationFailed",
      message:
        `The client '${sp.appId}' with object id '${oid}' does not have authorization to perform action '${action}' over scope '${scope}' ` +
        "or the scope is invalid. If access was recently granted, please refresh your credentials.",
    },
  });
}

describe("management-plane RBAC", () => {
  let kluis: Kluis;
  let sub: string;
  const principals: Record<string, { sp: ServicePrincipal; oid: string }> = {};
  const group = (name: string) => `/subscriptions/${sub}/resourceGroups/${name}`;
  const vault = (rg: string, name: string) => `${group(rg)}/providers/Microsoft.KeyVault/vaults/${name}`;
  const as = (who: string, method: string, path: string, body?: unknown) =>
    armRequestAs(kluis, principals[who]!.sp, method, path, body);
  const assign = async (who: string, role: string, scope: string): Promise<string> => {
    const name = randomUUID();
    const res = await armRequest(kluis, "PUT", `${scope}/${AUTH}/roleAssignments/${name}`, {
      properties: {
        roleDefinitionId: `/subscriptions/${sub}/${AUTH}/roleDefinitions/${role}`,
        principalId: principals[who]!.oid,
      },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return `${scope}/${AUTH}/roleAssignments/${name}`;
  };
  const newVault = {
    location: "westeurope",
    properties: {
      tenantId: "t",
      sku: { family: "A", name: "standard" },
      accessPolicies: [],
      enableRbacAuthorization: false,
    },
  };

  before(async () => {
    kluis = await Kluis.start();
    sub = kluis.info.subscriptionId;
    for (const who of ["nobody", "reader", "contributor", "vaultOwner", "kvContributor"]) {
      const sp = await kluis.createServicePrincipal(`mgmt-${who}`);
      principals[who] = { sp, oid: await objectIdOf(kluis, sp) };
    }
    for (const rg of ["rga", "rgb"])
      assert.equal((await armRequest(kluis, "PUT", group(rg), { location: "westeurope" })).status, 201);
    assert.equal((await armRequest(kluis, "PUT", vault("rgb", "mgmtbvault"), newVault)).status, 201);
  });
  after(() => kluis.dispose());

  it("refuses an app without a role with ARM's AuthorizationFailed, and lists it no subscription", async () => {
    const { sp, oid } = principals.nobody!;
    refused(
      await as("nobody", "PUT", group("rgx"), { location: "westeurope" }),
      sp,
      oid,
      "Microsoft.Resources/subscriptions/resourceGroups/write",
      group("rgx"),
    );
    refused(
      await as("nobody", "GET", vault("rgb", "mgmtbvault")),
      sp,
      oid,
      "Microsoft.KeyVault/vaults/read",
      vault("rgb", "mgmtbvault"),
    );
    assert.deepEqual((await as("nobody", "GET", "/subscriptions")).body, { value: [] });
    refused(
      await as("nobody", "GET", `/subscriptions/${sub}`),
      sp,
      oid,
      "Microsoft.Resources/subscriptions/read",
      `/subscriptions/${sub}`,
    );
    // Its providers too; registering one is the namespace's own action.
    for (const path of [`/subscriptions/${sub}/providers`, `/subscriptions/${sub}/providers/Microsoft.KeyVault`])
      refused(
        await as("nobody", "GET", path),
        sp,
        oid,
        "Microsoft.Resources/subscriptions/providers/read",
        `/subscriptions/${sub}`,
      );
    refused(
      await as("nobody", "POST", `/subscriptions/${sub}/providers/Microsoft.KeyVault/register`),
      sp,
      oid,
      "Microsoft.KeyVault/register/action",
      `/subscriptions/${sub}`,
    );
    // Listings answer only what the caller may read: nothing.
    assert.deepEqual((await as("nobody", "GET", `/subscriptions/${sub}/resourcegroups`)).body, { value: [] });
    assert.deepEqual((await as("nobody", "GET", `/subscriptions/${sub}/providers/Microsoft.KeyVault/vaults`)).body, {
      value: [],
    });
    assert.deepEqual((await as("nobody", "GET", `/subscriptions/${sub}/resources`)).body, { value: [] });
  });

  it("lets a Reader at the subscription list and show, but not create", async () => {
    await assign("reader", ROLE.reader, `/subscriptions/${sub}`);
    const { sp, oid } = principals.reader!;
    assert.deepEqual(
      (await as("reader", "GET", "/subscriptions")).body.value.map((s: { subscriptionId: string }) => s.subscriptionId),
      [sub],
    );
    const groups = (await as("reader", "GET", `/subscriptions/${sub}/resourcegroups`)).body.value.map(
      (g: { name: string }) => g.name,
    );
    assert.ok(groups.includes("rga") && groups.includes("rgb"), groups.join(","));
    assert.equal((await as("reader", "GET", vault("rgb", "mgmtbvault"))).status, 200);
    assert.ok(
      (await as("reader", "GET", `/subscriptions/${sub}/providers/Microsoft.KeyVault/vaults`)).body.value.some(
        (v: { name: string }) => v.name === "mgmtbvault",
      ),
    );
    // A $filter given twice is ARM's 400, not a server error.
    const twice = await as(
      "reader",
      "GET",
      `/subscriptions/${sub}/resources?$filter=name%20eq%20'a'&$filter=name%20eq%20'b'`,
    );
    assert.equal(twice.status, 400);
    assert.equal(twice.body.error.code, "InvalidFilterInQueryString");
    refused(
      await as("reader", "PUT", group("rgr"), { location: "westeurope" }),
      sp,
      oid,
      "Microsoft.Resources/subscriptions/resourceGroups/write",
      group("rgr"),
    );
    refused(
      await as("reader", "PUT", vault("rga", "readervault"), newVault),
      sp,
      oid,
      "Microsoft.KeyVault/vaults/write",
      vault("rga", "readervault"),
    );
    const policy = `${vault("rgb", "mgmtbvault")}/accessPolicies/add`;
    refused(
      await as("reader", "PUT", policy, { properties: { accessPolicies: [] } }),
      sp,
      oid,
      "Microsoft.KeyVault/vaults/accessPolicies/write",
      policy,
    );
    // Tags: read, not written.
    const tags = `${vault("rgb", "mgmtbvault")}/providers/Microsoft.Resources/tags/default`;
    assert.equal((await as("reader", "GET", tags)).status, 200);
    refused(
      await as("reader", "PATCH", tags, { operation: "Merge", properties: { tags: { a: "b" } } }),
      sp,
      oid,
      "Microsoft.Resources/tags/write",
      tags,
    );
    // Providers: read, not registered.
    const provider = `/subscriptions/${sub}/providers/Microsoft.KeyVault`;
    assert.equal((await as("reader", "GET", provider)).body.registrationState, "Registered");
    refused(
      await as("reader", "POST", `${provider}/register`),
      sp,
      oid,
      "Microsoft.KeyVault/register/action",
      `/subscriptions/${sub}`,
    );
  });

  it("lets a Contributor at a group create a vault there and manage it, not in another group, and not assign roles", async () => {
    const assignment = await assign("contributor", ROLE.contributor, group("rga"));
    const { sp, oid } = principals.contributor!;
    assert.equal((await as("contributor", "PUT", vault("rga", "mgmtavault"), newVault)).status, 201);
    const add = await as("contributor", "PUT", `${vault("rga", "mgmtavault")}/accessPolicies/add`, {
      properties: {
        accessPolicies: [{ tenantId: kluis.info.tenantId, objectId: oid, permissions: { secrets: ["get", "set"] } }],
      },
    });
    assert.equal(add.status, 200, JSON.stringify(add.body));
    // Listings show the group it may read and the vault in it, nothing of the other group.
    assert.deepEqual(
      (await as("contributor", "GET", `/subscriptions/${sub}/resourcegroups`)).body.value.map(
        (g: { name: string }) => g.name,
      ),
      ["rga"],
    );
    assert.deepEqual(
      (await as("contributor", "GET", `/subscriptions/${sub}/providers/Microsoft.KeyVault/vaults`)).body.value.map(
        (v: { name: string }) => v.name,
      ),
      ["mgmtavault"],
    );
    assert.deepEqual(
      (await as("contributor", "GET", "/subscriptions")).body.value.length,
      1,
      "a role in the subscription lists it",
    );
    refused(
      await as("contributor", "PUT", vault("rgb", "mgmtcvault"), newVault),
      sp,
      oid,
      "Microsoft.KeyVault/vaults/write",
      vault("rgb", "mgmtcvault"),
    );
    // A vault of another group is not reached through this group's path.
    assert.equal((await as("contributor", "GET", vault("rga", "mgmtbvault"))).status, 404);
    assert.equal(
      (
        await as("contributor", "PUT", `${vault("rga", "mgmtbvault")}/accessPolicies/add`, {
          properties: { accessPolicies: [] },
        })
      ).status,
      404,
    );
    const roleAssignment = `${group("rga")}/${AUTH}/roleAssignments/${randomUUID()}`;
    refused(
      await as("contributor", "PUT", roleAssignment, {
        properties: { roleDefinitionId: ROLE.owner, principalId: oid },
      }),
      sp,
      oid,
      "Microsoft.Authorization/roleAssignments/write",
      roleAssignment,
    );

    // Deleting the assignment takes the access away at once on this node.
    assert.equal((await armRequest(kluis, "DELETE", assignment)).status, 200);
    refused(
      await as("contributor", "GET", vault("rga", "mgmtavault")),
      sp,
      oid,
      "Microsoft.KeyVault/vaults/read",
      vault("rga", "mgmtavault"),
    );
    assert.deepEqual((await as("contributor", "GET", "/subscriptions")).body, { value: [] });
  });

  it("lets an Owner at a vault scope set its access policies and assign roles there, and nothing beyond it", async () => {
    await assign("vaultOwner", ROLE.owner, vault("rgb", "mgmtbvault"));
    const { sp, oid } = principals.vaultOwner!;
    const add = await as("vaultOwner", "PUT", `${vault("rgb", "mgmtbvault")}/accessPolicies/add`, {
      properties: {
        accessPolicies: [{ tenantId: kluis.info.tenantId, objectId: oid, permissions: { keys: ["get"] } }],
      },
    });
    assert.equal(add.status, 200, JSON.stringify(add.body));
    const there = `${vault("rgb", "mgmtbvault")}/${AUTH}/roleAssignments/${randomUUID()}`;
    const granted = await as("vaultOwner", "PUT", there, {
      properties: { roleDefinitionId: ROLE.secretsUser, principalId: principals.nobody!.oid },
    });
    assert.equal(granted.status, 201, JSON.stringify(granted.body));
    refused(
      await as("vaultOwner", "GET", group("rgb")),
      sp,
      oid,
      "Microsoft.Resources/subscriptions/resourceGroups/read",
      group("rgb"),
    );
    refused(
      await as("vaultOwner", "PUT", vault("rgb", "mgmtovault"), newVault),
      sp,
      oid,
      "Microsoft.KeyVault/vaults/write",
      vault("rgb", "mgmtovault"),
    );
    // An assignment made at the subscription is not deleted through the vault's path.
    const subAssignment = (
      await armRequest(kluis, "GET", `/subscriptions/${sub}/${AUTH}/roleAssignments`)
    ).body.value.find(
      (a: { properties: { principalId: string; scope: string } }) =>
        a.properties.principalId === principals.reader!.oid,
    );
    const viaVault = await as(
      "vaultOwner",
      "DELETE",
      `${vault("rgb", "mgmtbvault")}/${AUTH}/roleAssignments/${subAssignment.name}`,
    );
    assert.equal(viaVault.status, 204);
    assert.equal((await as("reader", "GET", vault("rgb", "mgmtbvault"))).status, 200, "the Reader keeps its role");
  });

  it("lets an Owner below the subscription write custom roles only within its scope", async () => {
    const { sp, oid } = principals.vaultOwner!;
    const here = vault("rgb", "mgmtbvault");
    const define = (who: "vaultOwner" | "admin", id: string, assignableScopes: string[]) => {
      const body = { properties: { roleName: `role ${id}`, permissions: [{ actions: ["*"] }], assignableScopes } };
      const path = `${here}/${AUTH}/roleDefinitions/${id}`;
      return who === "admin" ? armRequest(kluis, "PUT", path, body) : as(who, "PUT", path, body);
    };
    const write = "Microsoft.Authorization/roleDefinitions/write";
    refused(
      await define("vaultOwner", randomUUID(), [`/subscriptions/${sub}`]),
      sp,
      oid,
      write,
      `/subscriptions/${sub}`,
    );
    assert.equal((await define("vaultOwner", randomUUID(), [here])).status, 201);
    // A role assignable at the subscription is not rewritten from the vault, even to a scope the caller owns.
    const wide = randomUUID();
    assert.equal((await define("admin", wide, [`/subscriptions/${sub}`])).status, 201);
    refused(await define("vaultOwner", wide, [here]), sp, oid, write, `/subscriptions/${sub}`);
    const del = await as("vaultOwner", "DELETE", `${here}/${AUTH}/roleDefinitions/${wide}`);
    refused(del, sp, oid, "Microsoft.Authorization/roleDefinitions/delete", `/subscriptions/${sub}`);
  });

  it("lets a Key Vault Contributor manage vaults but not assign roles or purge", async () => {
    await assign("kvContributor", ROLE.keyVaultContributor, `/subscriptions/${sub}`);
    const { sp, oid } = principals.kvContributor!;
    assert.equal((await as("kvContributor", "PUT", vault("rgb", "mgmtkvault"), newVault)).status, 201);
    assert.equal((await as("kvContributor", "PATCH", vault("rgb", "mgmtkvault"), { tags: { a: "b" } })).status, 200);
    assert.equal((await as("kvContributor", "GET", group("rgb"))).status, 200);
    refused(
      await as("kvContributor", "PUT", group("rgk"), { location: "westeurope" }),
      sp,
      oid,
      "Microsoft.Resources/subscriptions/resourceGroups/write",
      group("rgk"),
    );
    const roleAssignment = `${vault("rgb", "mgmtkvault")}/${AUTH}/roleAssignments/${randomUUID()}`;
    refused(
      await as("kvContributor", "PUT", roleAssignment, {
        properties: { roleDefinitionId: ROLE.secretsUser, principalId: oid },
      }),
      sp,
      oid,
      "Microsoft.Authorization/roleAssignments/write",
      roleAssignment,
    );
    assert.equal((await as("kvContributor", "DELETE", vault("rgb", "mgmtkvault"))).status, 200);
    const purge = `/subscriptions/${sub}/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/mgmtkvault/purge`;
    refused(
      await as("kvContributor", "POST", purge),
      sp,
      oid,
      "Microsoft.KeyVault/locations/deletedVaults/purge/action",
      purge,
    );
  });

  it("deletes a group's role assignments with the group: a new group of that name grants nothing", async () => {
    assert.equal((await armRequest(kluis, "PUT", group("rgtemp"), { location: "westeurope" })).status, 201);
    await assign("nobody", ROLE.reader, group("rgtemp"));
    assert.equal((await as("nobody", "GET", group("rgtemp"))).status, 200);
    assert.equal((await armRequest(kluis, "DELETE", group("rgtemp"))).status, 202);
    assert.equal((await armRequest(kluis, "PUT", group("rgtemp"), { location: "westeurope" })).status, 201);
    assert.equal((await as("nobody", "GET", group("rgtemp"))).status, 403);
  });

  it("names what an assignment's principal is, as Azure does: a user's is User; an unknown principal needs its type named; a named type must match", async () => {
    const userId = await kluis.createUser("typed-user@kluis.local", "Typed-user-pa55word", "Typed User");
    const put = (principalId: string, principalType?: string) =>
      armRequest(kluis, "PUT", `${group("rga")}/${AUTH}/roleAssignments/${randomUUID()}`, {
        properties: { roleDefinitionId: ROLE.reader, principalId, principalType },
      });
    const answer = (res: RawResponse) =>
      res.status === 201 ? `201 ${res.body.properties.principalType}` : `${res.status} ${res.body.error.code}`;
    const stranger = randomUUID();
    assert.deepEqual(
      {
        user: answer(await put(userId)),
        userInCapitals: answer(await put(userId.toUpperCase(), "user")),
        // As .NET reads a GUID: 32 digits, or the hyphenated form in braces.
        userAsDigits: answer(await put(userId.replaceAll("-", ""))),
        userInBraces: answer(await put(`{${userId}}`)),
        app: answer(await put(principals.nobody!.oid)),
        unknown: answer(await put(stranger)),
        unknownNamed: answer(await put(stranger, "Group")),
        mismatched: answer(await put(userId, "ServicePrincipal")),
        noType: answer(await put(stranger, "Robot")),
      },
      {
        user: "201 User",
        userInCapitals: "201 User",
        userAsDigits: "201 User",
        userInBraces: "201 User",
        app: "201 ServicePrincipal",
        unknown: "400 PrincipalNotFound",
        unknownNamed: "201 Group",
        mismatched: "400 UnmatchedPrincipalType",
        noType: "400 InvalidRequestContent",
      },
    );
    const notFound = await put(stranger);
    assert.match(
      notFound.body.error.message,
      new RegExp(
        `^Principal ${stranger.replaceAll("-", "")} does not exist in the directory ${kluis.info.tenantId}\\.`,
      ),
    );
    // Listed as made, the user's under its object id as the directory spells it, however the request spelled it.
    const listed = (await armRequest(kluis, "GET", `${group("rga")}/${AUTH}/roleAssignments`)).body.value as {
      properties: { principalId: string; principalType: string };
    }[];
    const types = (id: string) =>
      listed.filter((a) => a.properties.principalId === id).map((a) => a.properties.principalType);
    assert.deepEqual(types(userId), ["User", "User", "User", "User"]);
    assert.deepEqual(types(stranger), ["Group"]);
  });
});

describe("role assignments and custom roles of a store written before migration 0007", () => {
  it("are carried from the settings rows into their tables", async () => {
    const kluis = await Kluis.start();
    try {
      const sp = await kluis.createServicePrincipal("old-assignee");
      const oid = await objectIdOf(kluis, sp);
      const sub = kluis.info.subscriptionId;
      await kluis.stop();
      const db = new SqliteDatabase(join(kluis.dataDir, "kluis.db"));
      const assignment = {
        name: randomUUID(),
        scope: `/subscriptions/${sub}`,
        principalId: oid,
        roleDefinitionId: ROLE.reader,
      };
      const role = {
        id: randomUUID(),
        roleName: "Old Custom Role",
        description: "",
        roleType: "CustomRole",
        permissions: [{ actions: ["*/read"], notActions: [], dataActions: [], notDataActions: [] }],
        assignableScopes: [`/subscriptions/${sub}`],
      };
      db.prepare("INSERT INTO settings (key, value) VALUES (?, ?)").run(
        "role_assignments",
        JSON.stringify([assignment]),
      );
      db.prepare("INSERT INTO settings (key, value) VALUES (?, ?)").run("custom_roles", JSON.stringify([role]));
      // The store as 0006 left it: later migrations (0008 the audit log, 0009 events, 0011 authorization codes, 0013 an index) are
      // undone too, as Kysely runs them in order.
      db.exec(
        "DROP TABLE role_assignments; DROP TABLE role_definitions; DROP TABLE audit_entries; " +
          "DROP TABLE event_subscriptions; DROP TABLE event_deliveries; DROP TABLE event_marks; " +
          "DROP INDEX object_versions_by_expiry; ALTER TABLE object_versions DROP COLUMN expires_at; " +
          "DROP TABLE authorization_codes; DROP INDEX object_names_listing; " +
          "DELETE FROM kysely_migration WHERE name >= '0007_role_tables';",
      );
      db.close();

      await kluis.restart();
      assert.deepEqual(
        (await armRequestAs(kluis, sp, "GET", "/subscriptions")).body.value.length,
        1,
        "the Reader assignment holds",
      );
      assert.equal((await armRequestAs(kluis, sp, "GET", `/subscriptions/${sub}/resourcegroups`)).status, 200);
      const roles = await kluis.cliJson(["role", "definition", "list", "--custom-role-only"]);
      assert.deepEqual(
        roles.map((r: { roleName: string }) => r.roleName),
        ["Old Custom Role"],
      );
      const check = new SqliteDatabase(join(kluis.dataDir, "kluis.db"), { readonly: true });
      assert.equal(
        (
          check
            .prepare("SELECT count(*) AS n FROM settings WHERE key IN ('role_assignments', 'custom_roles')")
            .get() as { n: number }
        ).n,
        0,
      );
      check.close();
    } finally {
      await kluis.dispose();
    }
  });
});

describe("a store written before migration 0012", () => {
  it("moves User Access Administrator assignments from Kluis's old, wrong id to Azure's", async () => {
    const kluis = await Kluis.start();
    try {
      const sp = await kluis.createServicePrincipal("old-uaa");
      const oid = await objectIdOf(kluis, sp);
      const sub = kluis.info.subscriptionId;
      const roleId = (guid: string) => `/subscriptions/${sub}/${AUTH}/roleDefinitions/${guid}`;
      const rg = `/subscriptions/${sub}/resourcegroups/rg-uaa`;
      assert.equal((await armRequest(kluis, "PUT", rg, { location: "westeurope" })).status, 201);
      assert.equal((await armRequestAs(kluis, sp, "GET", rg)).status, 403);
      await kluis.stop();
      const db = new SqliteDatabase(join(kluis.dataDir, "kluis.db"));
      db.prepare(
        "INSERT INTO role_assignments (name, scope, principal_id, role_definition_id, created_at) VALUES (?, ?, ?, ?, ?)",
      ).run(randomUUID(), `/subscriptions/${sub}`, oid, "18d7d88d-d35e-4fb5-a5c3-7773c6a72a9d", Date.now());
      // Back to before 0012: what later migrations added goes too, so that they run again after it.
      db.exec(
        "DROP INDEX object_names_listing; ALTER TABLE role_assignments DROP COLUMN principal_type; " +
          "DELETE FROM kysely_migration WHERE name >= '0012_user_access_administrator_id';",
      );
      db.close();

      await kluis.restart();
      assert.equal((await armRequestAs(kluis, sp, "GET", rg)).status, 200, "the assignment grants the role again");
      const listed = await armRequestAs(kluis, sp, "GET", `/subscriptions/${sub}/${AUTH}/roleAssignments`);
      assert.ok(
        listed.body.value.some(
          (a: { properties: { principalId: string; roleDefinitionId: string } }) =>
            a.properties.principalId === oid &&
            a.properties.roleDefinitionId === roleId("18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"),
        ),
        JSON.stringify(listed.body),
      );
    } finally {
      await kluis.dispose();
    }
  });
});

describe("role and tag writes on two PostgreSQL nodes", needsPostgres, () => {
  let cluster: Cluster | undefined;
  let nodeA: Kluis;
  let nodeB: Kluis;
  let sub: string;
  /** One token per node: the requests below go out at once, and sign-ins are throttled per principal. */
  const tokens = new Map<Kluis, string>();
  const armRequest = (node: Kluis, method: string, path: string, body?: unknown) =>
    armRequestWithToken(node, tokens.get(node)!, method, path, body);
  before(async () => {
    cluster = await startCluster(2);
    [nodeA, nodeB] = cluster.nodes as [Kluis, Kluis];
    sub = nodeA.info.subscriptionId;
    for (const node of [nodeA, nodeB]) {
      const admin = node.adminCredential();
      tokens.set(
        node,
        (await fetchToken(node, admin, "https://management.azure.com/.default")).body.access_token as string,
      );
    }
  });
  after(() => cluster?.dispose());

  it("loses no role assignment or custom role when both nodes create them at once", async () => {
    const COUNT = 15;
    const principals = new Set<string>();
    const put = (node: Kluis) => {
      const principalId = randomUUID();
      principals.add(principalId);
      return armRequest(node, "PUT", `/subscriptions/${sub}/${AUTH}/roleAssignments/${randomUUID()}`, {
        properties: { roleDefinitionId: ROLE.secretsUser, principalId, principalType: "ServicePrincipal" },
      });
    };
    const puts = await Promise.all(Array.from({ length: COUNT }, () => [put(nodeA), put(nodeB)]).flat());
    for (const res of puts) assert.equal(res.status, 201, JSON.stringify(res.body));
    const listed = (await armRequest(nodeA, "GET", `/subscriptions/${sub}/${AUTH}/roleAssignments`)).body.value as {
      properties: { principalId: string };
    }[];
    assert.equal(listed.filter((a) => principals.has(a.properties.principalId)).length, 2 * COUNT);

    const role = (node: Kluis, name: string) =>
      armRequest(node, "PUT", `/subscriptions/${sub}/${AUTH}/roleDefinitions/${randomUUID()}`, {
        properties: {
          roleName: name,
          permissions: [{ actions: ["*/read"] }],
          assignableScopes: [`/subscriptions/${sub}`],
        },
      });
    const roles = await Promise.all(
      Array.from({ length: 5 }, (_, i) => [role(nodeA, `node a role ${i}`), role(nodeB, `node b role ${i}`)]).flat(),
    );
    for (const res of roles) assert.equal(res.status, 201, JSON.stringify(res.body));
    // The same name from both nodes at once: exactly one of them gets it.
    const clash = await Promise.all([role(nodeA, "contested"), role(nodeB, "contested")]);
    assert.deepEqual(clash.map((r) => r.status).sort(), [201, 409], JSON.stringify(clash.map((r) => r.body)));
    const custom = (await armRequest(nodeB, "GET", `/subscriptions/${sub}/${AUTH}/roleDefinitions`)).body.value.filter(
      (r: { properties: { type: string } }) => r.properties.type === "CustomRole",
    );
    assert.equal(custom.length, 11);
  });

  it("loses no tag when both nodes merge tags into a vault and into a group at once (az tag update --operation merge)", async () => {
    const COUNT = 10;
    for (const scope of [
      `/subscriptions/${sub}/resourceGroups/kluis/providers/Microsoft.KeyVault/vaults/default`,
      `/subscriptions/${sub}/resourceGroups/kluis`,
    ]) {
      const tags = `${scope}/providers/Microsoft.Resources/tags/default`;
      const merge = (node: Kluis, name: string) =>
        armRequest(node, "PATCH", tags, { operation: "Merge", properties: { tags: { [name]: "1" } } });
      const merges = await Promise.all(
        Array.from({ length: COUNT }, (_, i) => [merge(nodeA, `a${i}`), merge(nodeB, `b${i}`)]).flat(),
      );
      for (const res of merges) assert.equal(res.status, 200, JSON.stringify(res.body));
      const stored = (await armRequest(nodeB, "GET", tags)).body.properties.tags as Record<string, string>;
      assert.equal(Object.keys(stored).length, 2 * COUNT, `${scope}: ${JSON.stringify(stored)}`);
    }
  });

  // Authorization reads them through a copy up to a second old, as Azure's RBAC takes a while to apply a change; ARM's
  // reads did too, so a node listed an assignment another node had just deleted (found by the fuzz's SQLite-against-
  // PostgreSQL property).
  it("answers ARM's reads of role assignments and custom roles as they stand, whichever node made the change", async () => {
    const assignment = `/subscriptions/${sub}/${AUTH}/roleAssignments/${randomUUID()}`;
    const principalId = randomUUID();
    const put = await armRequest(nodeA, "PUT", assignment, {
      properties: { roleDefinitionId: ROLE.secretsUser, principalId, principalType: "Group" },
    });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    const listedOnB = async () =>
      (
        (await armRequest(nodeB, "GET", `/subscriptions/${sub}/${AUTH}/roleAssignments`)).body.value as {
          properties: { principalId: string };
        }[]
      ).filter((a) => a.properties.principalId === principalId).length;
    // Node B reads it (and, before, kept what it read for a second)...
    assert.equal((await armRequest(nodeB, "GET", assignment)).status, 200);
    assert.equal(await listedOnB(), 1);
    // ...then node A deletes it: node B answers that at once.
    assert.equal((await armRequest(nodeA, "DELETE", assignment)).status, 200);
    const gone = await armRequest(nodeB, "GET", assignment);
    assert.equal(gone.status, 404, JSON.stringify(gone.body));
    assert.equal(gone.body.error.code, "RoleAssignmentNotFound");
    assert.equal(await listedOnB(), 0);

    const definition = `/subscriptions/${sub}/${AUTH}/roleDefinitions/${randomUUID()}`;
    const made = await armRequest(nodeA, "PUT", definition, {
      properties: {
        roleName: `read-through ${randomUUID()}`,
        permissions: [{ actions: ["*/read"] }],
        assignableScopes: [`/subscriptions/${sub}`],
      },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.equal((await armRequest(nodeB, "GET", definition)).status, 200);
    assert.equal((await armRequest(nodeA, "DELETE", definition)).status, 200);
    const removed = await armRequest(nodeB, "GET", definition);
    assert.equal(removed.status, 404, JSON.stringify(removed.body));
    assert.equal(removed.body.error.code, "RoleDefinitionDoesNotExist");
  });
});

describe("management roles with the real az", () => {
  let kluis: Kluis;
  let admin: { appId: string; password: string; tenant: string };
  let server: AzTestServer;
  before(async () => {
    server = await startAzTestServer();
    ({ kluis, admin } = server);
  });
  after(() => server.dispose());
  /** A shell of az's own (helpers/az.ts). */
  const azShell = () => server.shell(true);

  it("create-for-rbac --role Contributor --scopes a group: the app signs in, creates a vault there, sets its policy, and nothing else", async () => {
    const adminShell = azShell();
    await adminShell.azJson(
      "login",
      "--service-principal",
      "-u",
      admin.appId,
      `--password=${admin.password}`,
      "--tenant",
      admin.tenant,
    );
    await adminShell.azJson("group", "create", "-n", "azrbacrg", "-l", "westeurope");
    const sub = kluis.info.subscriptionId;
    const scope = `/subscriptions/${sub}/resourceGroups/azrbacrg`;

    // Without a role, az refuses to sign in unless told --allow-no-subscriptions, as against Azure.
    const bare = await adminShell.azJson<ServicePrincipal>("ad", "sp", "create-for-rbac", "-n", "azbare");
    const refused = await azShell().az(
      "login",
      "--service-principal",
      "-u",
      bare.appId,
      `--password=${bare.password}`,
      "--tenant",
      bare.tenant,
    );
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /No subscriptions found for/);

    const app = await adminShell.azJson<ServicePrincipal>(
      "ad",
      "sp",
      "create-for-rbac",
      "-n",
      "azcontrib",
      "--role",
      "Contributor",
      "--scopes",
      scope,
    );
    const listed = await adminShell.azJson<{ roleDefinitionName: string; scope: string }[]>(
      "role",
      "assignment",
      "list",
      "--assignee",
      app.appId,
      "--all",
    );
    assert.deepEqual(
      listed.map((a) => [a.roleDefinitionName, a.scope]),
      [["Contributor", scope]],
    );

    const appShell = azShell();
    const accounts = await appShell.azJson<{ id: string }[]>(
      "login",
      "--service-principal",
      "-u",
      app.appId,
      `--password=${app.password}`,
      "--tenant",
      app.tenant,
    );
    assert.deepEqual(
      accounts.map((a) => a.id),
      [sub],
    );
    // An app has no Graph permissions, as in Azure: it names itself by object id (what --spn and self permissions
    // would look up in Graph), and az finds the vault through /resources.
    const oid = await objectIdOf(kluis, app);
    const v = await appShell.azJson(
      "keyvault",
      "create",
      "-n",
      "azcontribvault",
      "-g",
      "azrbacrg",
      "--enable-rbac-authorization",
      "false",
      "--no-self-perms",
    );
    assert.equal(v.name, "azcontribvault");
    const policy = await appShell.azJson(
      "keyvault",
      "set-policy",
      "-n",
      "azcontribvault",
      "--object-id",
      oid,
      "--secret-permissions",
      "get",
      "set",
    );
    assert.ok(
      policy.properties.accessPolicies.some((p: { permissions: { secrets: string[] } }) =>
        p.permissions.secrets.includes("set"),
      ),
    );
    assert.equal(
      (await appShell.azJson("keyvault", "secret", "set", "--vault-name", "azcontribvault", "-n", "s", "--value", "v"))
        .value,
      "v",
    );
    const otherGroup = await appShell.az("group", "create", "-n", "azotherrg", "-l", "westeurope");
    assert.notEqual(otherGroup.code, 0);
    assert.match(otherGroup.stderr, /AuthorizationFailed/);
    const grant = await appShell.az(
      "role",
      "assignment",
      "create",
      "--assignee",
      bare.appId,
      "--role",
      "Reader",
      "--scope",
      scope,
    );
    assert.notEqual(grant.code, 0);
    assert.match(grant.stderr, /AuthorizationFailed|does not have authorization/);

    // Owner at the subscription, then taken away: az role assignment create, list and delete.
    const owner = await adminShell.azJson(
      "role",
      "assignment",
      "create",
      "--assignee",
      app.appId,
      "--role",
      "Owner",
      "--scope",
      `/subscriptions/${sub}`,
    );
    assert.match(owner.roleDefinitionId, new RegExp(`/roleDefinitions/${ROLE.owner}$`));
    assert.equal((await appShell.az("group", "create", "-n", "azotherrg", "-l", "westeurope")).code, 0);
    const deleted = await adminShell.az(
      "role",
      "assignment",
      "delete",
      "--assignee",
      app.appId,
      "--role",
      "Owner",
      "--scope",
      `/subscriptions/${sub}`,
    );
    assert.equal(deleted.code, 0, deleted.stderr);
    const again = await appShell.az("group", "create", "-n", "azthirdrg", "-l", "westeurope");
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /AuthorizationFailed/);
  });
});

describe("a store written before migration 0014", () => {
  it("names the principal type of the assignments made before: User for a user's, ServicePrincipal for an application's", async () => {
    const kluis = await Kluis.start();
    try {
      const sp = await kluis.createServicePrincipal("old-typed-app");
      const appObjectId = await objectIdOf(kluis, sp);
      const userId = await kluis.createUser("old-typed-user@kluis.local", "Old-typed-pa55word", "Old Typed User");
      const sub = kluis.info.subscriptionId;
      await kluis.stop();
      const db = new SqliteDatabase(join(kluis.dataDir, "kluis.db"));
      // The table as it was: no principal_type column, and an assignment of each principal in it.
      db.exec("ALTER TABLE role_assignments DROP COLUMN principal_type");
      const insert = db.prepare(
        "INSERT INTO role_assignments (name, scope, principal_id, role_definition_id, created_at) VALUES (?, ?, ?, ?, ?)",
      );
      for (const principal of [appObjectId, userId])
        insert.run(randomUUID(), `/subscriptions/${sub}`, principal, ROLE.reader, Date.now());
      // One named as Kluis let names be before it checked them.
      insert.run("old-name", `/subscriptions/${sub}`, appObjectId, ROLE.reader, Date.now());
      db.exec("DELETE FROM kysely_migration WHERE name >= '0014_role_assignment_principal_type'");
      db.close();

      await kluis.restart();
      const listed = (await armRequest(kluis, "GET", `/subscriptions/${sub}/${AUTH}/roleAssignments`)).body.value as {
        properties: { principalId: string; principalType: string };
      }[];
      const typeOf = (id: string) => listed.find((a) => a.properties.principalId === id)?.properties.principalType;
      assert.deepEqual([typeOf(appObjectId), typeOf(userId)], ["ServicePrincipal", "User"]);
      // Its odd name is read and deleted (a name that is no GUID and names nothing is Azure's 400).
      const oldOne = `/subscriptions/${sub}/${AUTH}/roleAssignments/old-name`;
      assert.equal((await armRequest(kluis, "GET", oldOne)).status, 200);
      assert.equal((await armRequest(kluis, "DELETE", oldOne)).status, 200);
      const gone = await armRequest(kluis, "GET", oldOne);
      assert.deepEqual([gone.status, gone.body.error.code], [400, "InvalidRoleAssignmentId"]);
    } finally {
      await kluis.dispose();
    }
  });
});
