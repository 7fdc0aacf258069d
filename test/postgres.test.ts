// Several Kluis nodes on one PostgreSQL database: what one node acknowledges, every node serves.
import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { CertificateClient, DefaultCertificatePolicy } from "@azure/keyvault-certificates";
import { SecretClient } from "@azure/keyvault-secrets";
import { accessToken, fetchToken, rawRequest, signInOnAuthorizePage, type RawResponse } from "./helpers/http.js";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";
import { type Cluster, needsPostgres, startCluster } from "./helpers/cluster.js";
import { armRequest } from "./helpers/rbac.js";
import { clientOptions, credentialFor, vaultUrl } from "./helpers/sdk.js";

const AZ_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

describe("PostgreSQL store, two nodes", needsPostgres, () => {
  let cluster: Cluster | undefined;
  let nodeA: Kluis;
  let nodeB: Kluis;
  let sp: ServicePrincipal;

  before(async () => {
    cluster = await startCluster(2);
    [nodeA, nodeB] = cluster.nodes as [Kluis, Kluis];
    sp = await nodeA.vaultWithPrincipal("pgvault", {
      certificates: ["get", "list", "create", "delete"],
      secrets: ["get", "set", "list", "delete"],
    });
  });
  after(() => cluster?.dispose());

  it("shares tenant, principals, vaults and policies between nodes", () => {
    assert.equal(nodeA.info.tenantId, nodeB.info.tenantId);
  });

  it("serves from one node what the other acknowledged, through the official SDKs", async () => {
    const secretsA = new SecretClient(vaultUrl("pgvault"), credentialFor(nodeA, sp), clientOptions(nodeA));
    const secretsB = new SecretClient(vaultUrl("pgvault"), credentialFor(nodeB, sp), clientOptions(nodeB));
    await secretsA.setSecret("shared", "written on A");
    assert.equal((await secretsB.getSecret("shared")).value, "written on A");

    const certsA = new CertificateClient(vaultUrl("pgvault"), credentialFor(nodeA, sp), clientOptions(nodeA));
    const certsB = new CertificateClient(vaultUrl("pgvault"), credentialFor(nodeB, sp), clientOptions(nodeB));
    const created = await (await certsA.beginCreateCertificate("pgcert", DefaultCertificatePolicy)).pollUntilDone();
    const onB = await certsB.getCertificate("pgcert");
    assert.deepEqual(Buffer.from(onB.cer!), Buffer.from(created.cer!));
    await (await certsB.beginDeleteCertificate("pgcert")).pollUntilDone();
    await assert.rejects(
      certsA.beginCreateCertificate("pgcert", DefaultCertificatePolicy),
      (e: any) => e.statusCode === 409,
    );
  });

  it("redeems a browser sign-in's code on either node, and only once across both", async () => {
    const admin = nodeA.adminCredential();
    const verifier = randomBytes(32).toString("base64url");
    const redirectUri = "http://localhost:8400";
    const query = new URLSearchParams({
      client_id: AZ_CLIENT_ID,
      response_type: "code",
      redirect_uri: redirectUri,
      scope: "https://vault.azure.net/.default openid offline_access",
      code_challenge: createHash("sha256").update(verifier).digest("base64url"),
      code_challenge_method: "S256",
    });
    const page = `/${nodeA.info.tenantId}/oauth2/v2.0/authorize?${query}`;
    const signedIn = await signInOnAuthorizePage(nodeA, page, admin.user!.userPrincipalName, admin.user!.password);
    assert.equal(signedIn.status, 302, String(signedIn.body));
    const code = new URL(String(signedIn.headers.location)).searchParams.get("code")!;
    const redeem = (node: Kluis) =>
      rawRequest(node, "localhost", "POST", `/${node.info.tenantId}/oauth2/v2.0/token`, {
        body: new URLSearchParams({
          grant_type: "authorization_code",
          client_id: AZ_CLIENT_ID,
          code,
          redirect_uri: redirectUri,
          code_verifier: verifier,
        }).toString(),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
    const onB = await redeem(nodeB);
    assert.equal(onB.status, 200, JSON.stringify(onB.body));
    assert.equal(typeof onB.body.access_token, "string");
    const againOnA = await redeem(nodeA);
    assert.equal(againOnA.status, 400);
    assert.deepEqual(againOnA.body.error_codes, [54005]);
  });

  it("keeps serving from the surviving node when the other is killed", async () => {
    const token = await accessToken(nodeA, sp);
    await nodeA.stop("SIGKILL");
    const res = await rawRequest(nodeB, "pgvault.localhost", "GET", "/secrets/shared?api-version=7.5", { token });
    assert.equal(res.status, 200, "a token from node A is valid on node B: they share the signing key");
    assert.equal(res.body.value, "written on A");
  });
});

describe("PostgreSQL store, a node's connection pool", needsPostgres, () => {
  let cluster: Cluster | undefined;
  after(() => cluster?.dispose());

  /** Connections Kluis nodes hold open to the database (each node's pool names itself "kluis"), opened after `since`. */
  const kluisConnections = async (since = "-infinity") => {
    const [row] = (await cluster!.pg.query(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'kluis' AND backend_start > $1",
      [since],
    )) as { n: string }[];
    return Number(row!.n);
  };

  /** 12 clients at once on `node`, each writing a name and reading it back: every call served. */
  const burst = async (node: Kluis, token: string) => {
    const calls = Array.from({ length: 12 }, async (_, i) => {
      const path = `/secrets/pool${i}?api-version=7.5`;
      const put = await rawRequest(node, "poolvault.localhost", "PUT", path, {
        token,
        body: JSON.stringify({ value: `v${i}` }),
        headers: { "content-type": "application/json" },
      });
      const get = await rawRequest(node, "poolvault.localhost", "GET", path, { token });
      return [put.status, get.status, get.body.value === `v${i}`];
    });
    for (const [put, get, same] of await Promise.all(calls)) assert.deepEqual([put, get, same], [200, 200, true]);
  };

  it("opens at most --postgres-pool-size (or KLUIS_POSTGRES_POOL_SIZE) connections, and serves calls beyond it in turn", async () => {
    cluster = await startCluster(1, ["--postgres-pool-size", "2"]);
    const small = cluster.nodes[0]!;
    const sp = await small.vaultWithPrincipal("poolvault", { secrets: ["get", "set"] });
    const token = await accessToken(small, sp);
    for (let i = 0; i < 3; i++) await burst(small, token);
    const first = await kluisConnections();
    assert.ok(first >= 1 && first <= 2, `${first} connections for a pool of 2`);
    // A second node, sized by the environment: the connections opened since it started are its own.
    const [{ now }] = (await cluster.pg.query("SELECT now()::text AS now")) as [{ now: string }];
    const second = await Kluis.start({
      args: ["--postgres", cluster.pg.url],
      env: { ...cluster.env, KLUIS_POSTGRES_POOL_SIZE: "3" },
    });
    cluster.nodes.push(second);
    for (let i = 0; i < 3; i++) await burst(second, await accessToken(second, sp));
    const its = await kluisConnections(now);
    assert.ok(its >= 1 && its <= 3, `${its} connections for a pool of 3`);
  });
});

describe("What PostgreSQL's columns cannot hold: answered alike on both stores, never a 500", needsPostgres, () => {
  let cluster: Cluster | undefined;
  let sqlite: Kluis | undefined;
  before(async () => {
    cluster = await startCluster(1);
    sqlite = await Kluis.start();
  });
  after(async () => {
    await sqlite?.dispose();
    await cluster?.dispose();
  });

  /** An access token of `node`'s administrator (its admin.json) for `scope`. */
  async function adminToken(node: Kluis, scope: string): Promise<string> {
    const admin = node.adminCredential();
    return (await fetchToken(node, admin, scope)).body.access_token as string;
  }

  /** The calls, each with U+0000 where the store would bind it as text, and what each answers on `node`. */
  async function probe(node: Kluis): Promise<Record<string, RawResponse>> {
    const arm = await adminToken(node, "https://management.azure.com/.default");
    const graph = await adminToken(node, "https://graph.microsoft.com/.default");
    const sp = await node.vaultWithPrincipal("nulvault", { secrets: ["get", "set"] });
    const vaultToken = await accessToken(node, sp);
    const tokenCall = (form: Record<string, string>) =>
      rawRequest(node, "localhost", "POST", `/${node.info.tenantId}/oauth2/v2.0/token`, {
        body: new URLSearchParams({ scope: "https://vault.azure.net/.default", ...form }).toString(),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
    const vaults = `/subscriptions/${node.info.subscriptionId}/resourceGroups/kluis/providers/Microsoft.KeyVault/vaults`;
    const json = (body: unknown) => JSON.stringify(body);
    return {
      clientId: await tokenCall({ grant_type: "client_credentials", client_id: "app\0id", client_secret: "x" }),
      userName: await tokenCall({
        grant_type: "password",
        client_id: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
        username: "user\0@kluis.local",
        password: "x",
      }),
      application: await rawRequest(node, "graph.microsoft.com", "POST", "/v1.0/applications", {
        token: graph,
        body: json({ displayName: "app\0name" }),
      }),
      resourceGroup: await rawRequest(
        node,
        "management.azure.com",
        "GET",
        `/subscriptions/${node.info.subscriptionId}/resourcegroups/rg%00x?api-version=2021-04-01`,
        { token: arm },
      ),
      vault: await rawRequest(node, "management.azure.com", "PUT", `${vaults}/v%00x?api-version=2023-07-01`, {
        token: arm,
        body: json({
          location: "westeurope",
          properties: { tenantId: node.info.tenantId, sku: { family: "A", name: "standard" } },
        }),
      }),
      // A secret's value is sealed and its tags are JSON: both keep the character.
      secret: await rawRequest(node, "nulvault.localhost", "PUT", "/secrets/nul?api-version=7.5", {
        token: vaultToken,
        body: json({ value: "a\0b", tags: { "t\0": "v\0" } }),
      }),
      secretRead: await rawRequest(node, "nulvault.localhost", "GET", "/secrets/nul?api-version=7.5", {
        token: vaultToken,
      }),
    };
  }

  it("answers U+0000 in text with each API's 400 on PostgreSQL as on the SQLite file, and audits every call", async () => {
    const [onPostgres, onSqlite] = [await probe(cluster!.nodes[0]!), await probe(sqlite!)];
    const statuses = (answers: Record<string, RawResponse>) =>
      Object.fromEntries(Object.entries(answers).map(([call, res]) => [call, res.status]));
    assert.deepEqual(statuses(onPostgres), statuses(onSqlite));
    for (const answers of [onPostgres, onSqlite]) {
      for (const call of ["clientId", "userName"]) {
        assert.equal(answers[call]!.status, 400, JSON.stringify(answers[call]!.body));
        assert.equal(answers[call]!.body.error, "invalid_request"); // Entra's shape
      }
      for (const call of ["application", "resourceGroup", "vault"]) {
        assert.equal(answers[call]!.status, 400, JSON.stringify(answers[call]!.body));
        assert.match(answers[call]!.body.error.message, /U\+0000/); // Graph's and ARM's shape
      }
      assert.equal(answers.secret!.status, 200, JSON.stringify(answers.secret!.body));
      assert.deepEqual([answers.secretRead!.body.value, answers.secretRead!.body.tags], ["a\0b", { "t\0": "v\0" }]);
    }
    // Every call is audited, the refused ones too (a batch of entries is written whole or not at all).
    const node = cluster!.nodes[0]!;
    const arm = await adminToken(node, "https://management.azure.com/.default");
    const audit = await rawRequest(node, "localhost", "GET", "/kluis/audit?top=1000", { token: arm });
    assert.equal(audit.status, 200);
    const refused = (audit.body.value as { resourceId: string; operationName: string; resultType: string }[])
      .filter((e) => e.resultType === "Failure")
      .map((e) => `${e.operationName} ${e.resourceId.split("/").pop()}`);
    for (const call of [
      "VaultPut v%00x",
      "Microsoft.Resources/subscriptions/resourceGroups/read rg%00x",
      "ApplicationCreate",
    ])
      assert.ok(
        refused.some((e) => e.startsWith(call)),
        `${call} in ${refused.join(", ")}`,
      );
    const verified = await rawRequest(node, "localhost", "GET", "/kluis/audit/verify", { token: arm });
    assert.equal(verified.body.ok, true, JSON.stringify(verified.body));
    for (const server of [node, sqlite!]) {
      assert.doesNotMatch(server.output, /unexpected error|audit entries lost/);
    }
  });

  it("starts a versions list over from its first page on a $skiptoken that is no 64-bit whole number (was a 500 on PostgreSQL)", async () => {
    for (const node of [cluster!.nodes[0]!, sqlite!]) {
      const sp = await node.vaultWithPrincipal("pagevault", { secrets: ["get", "list", "set"] });
      const token = await accessToken(node, sp);
      for (const value of ["one", "two"])
        await rawRequest(node, "pagevault.localhost", "PUT", "/secrets/paged?api-version=7.5", {
          token,
          body: JSON.stringify({ value }),
        });
      const list = (skiptoken?: string) =>
        rawRequest(
          node,
          "pagevault.localhost",
          "GET",
          `/secrets/paged/versions?api-version=7.5${skiptoken ? `&$skiptoken=${Buffer.from(skiptoken).toString("base64url")}` : ""}`,
          { token },
        );
      const first = await list();
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.value.length, 2);
      // Past 2^63, a fraction, past 2^53: a number PostgreSQL's bigint or JavaScript's integers do not hold exactly.
      for (const skiptoken of ["100000000000000000000", "1.5", "9007199254740993"]) {
        const res = await list(skiptoken);
        assert.equal(res.status, 200, `${skiptoken}: ${JSON.stringify(res.body)}`);
        assert.deepEqual(res.body.value, first.body.value, skiptoken);
      }
    }
    for (const node of [cluster!.nodes[0]!, sqlite!]) assert.doesNotMatch(node.output, /unexpected error/);
  });

  it("refuses, as Azure does, the texts longer than PostgreSQL's indexes hold: a principal id that is no GUID, a custom role's name past 512 characters (were 500s on PostgreSQL)", async () => {
    // Random text: PostgreSQL compresses an index entry, so only text that does not compress exceeds its ~2,700 bytes.
    const random = (length: number) => randomBytes(length).toString("base64url").slice(0, length);
    const probe = async (node: Kluis) => {
      const sub = `/subscriptions/${node.info.subscriptionId}`;
      const auth = `${sub}/providers/Microsoft.Authorization`;
      const arm = (method: string, path: string, body?: unknown) => armRequest(node, method, path, body);
      const reader = `${auth}/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`;
      const assign = (name: string, principalId: string) =>
        arm("PUT", `${auth}/roleAssignments/${name}`, {
          properties: { roleDefinitionId: reader, principalId, principalType: "ServicePrincipal" },
        });
      const role = (roleName: string) =>
        arm("PUT", `${auth}/roleDefinitions/${randomUUID()}`, {
          properties: { roleName, assignableScopes: [sub], permissions: [{ actions: ["*/read"] }] },
        });
      const answers = {
        longPrincipal: await assign(randomUUID(), random(10_000)),
        namedPrincipal: await assign(randomUUID(), "User"),
        assignmentName: await assign("not-a-guid", randomUUID()),
        readByName: await arm("GET", `${auth}/roleAssignments/not-a-guid`),
        longRoleName: await role(random(10_000)),
        longestRoleName: await role(random(512)),
        assigned: await assign(randomUUID(), randomUUID()),
      };
      const assignments = (await arm("GET", `${auth}/roleAssignments`)).body.value as unknown[];
      return { answers, assignments: assignments.length };
    };
    const [onPostgres, onSqlite] = [await probe(cluster!.nodes[0]!), await probe(sqlite!)];
    const shape = (p: typeof onPostgres) =>
      Object.fromEntries(Object.entries(p.answers).map(([k, res]) => [k, `${res.status} ${res.body?.error?.code}`]));
    assert.deepEqual(shape(onPostgres), shape(onSqlite));
    assert.deepEqual(shape(onPostgres), {
      longPrincipal: "400 InvalidPrincipalId",
      namedPrincipal: "400 InvalidPrincipalId",
      assignmentName: "400 InvalidRoleAssignmentId",
      readByName: "400 InvalidRoleAssignmentId",
      longRoleName: "400 BadParameter",
      longestRoleName: "201 undefined",
      assigned: "201 undefined",
    });
    assert.equal(onPostgres.assignments, onSqlite.assignments); // the refused ones made nothing
    for (const node of [cluster!.nodes[0]!, sqlite!]) assert.doesNotMatch(node.output, /unexpected error/);
  });
});
