// Issue 12, parts 3 and 6: the token endpoint under a flood of wrong secrets, tokens that must not outlive their
// principal or credential, and tokens missing the claims that bound them.
import assert from "node:assert/strict";
import { createPrivateKey, type KeyObject } from "node:crypto";
import { Agent } from "node:https";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { SignJWT } from "jose";
import { loadMasterKey, Sealer } from "../src/crypto/sealing.js";
import { SIGN_IN_LIMITS } from "../src/identity/sign-in-throttle.js";
import { openStore } from "../src/store/open.js";
import { accessToken, fetchToken, rawRequest, type RawResponse } from "./helpers/http.js";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";
import { type Cluster, needsPostgres, startCluster } from "./helpers/cluster.js";

const API = "api-version=7.5";
const WRONG = { password: "not-the-secret-not-the-secret-not-the-se" };

/**
 * An agent holding `sockets` open TLS connections from `localAddress`, so that a burst sent through it reaches the
 * server at once rather than spread over as many handshakes.
 */
async function warmAgent(kluis: Kluis, sockets: number, localAddress: string): Promise<Agent> {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  await Promise.all(
    Array.from({ length: sockets }, () => rawRequest(kluis, "localhost", "GET", "/healthz", { agent, localAddress })),
  );
  return agent;
}

const statuses = (responses: RawResponse[]) => responses.map((r) => r.status);

function assertThrottled(res: RawResponse, code: number): void {
  assert.equal(res.status, 429);
  assert.equal(res.body.error, "temporarily_unavailable");
  assert.deepEqual(res.body.error_codes, [code]);
  assert.match(res.body.error_description, new RegExp(`^AADSTS${code}: `));
  const retryAfter = Number(res.headers["retry-after"]);
  assert.ok(
    Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= SIGN_IN_LIMITS.windowMs / 1000,
    `Retry-After: ${res.headers["retry-after"]}`,
  );
}

describe("token endpoint: wrong-secret floods", () => {
  let kluis: Kluis;
  before(async () => {
    kluis = await Kluis.start();
    await kluis.createVault("floodvault");
  });
  after(() => kluis?.dispose());

  it("refuses a burst of 40 wrong secrets for one application with 429 and Retry-After, while right secrets still get tokens", async () => {
    const victim = await kluis.createServicePrincipal("flood-victim");
    const bystander = await kluis.createServicePrincipal("flood-bystander");
    await kluis.setPolicy("floodvault", victim.appId, { secrets: ["list"] });
    // The victim's service signed in before the attack; the bystander (another application) never did.
    assert.equal((await fetchToken(kluis, victim, undefined, { localAddress: "127.0.0.2" })).status, 200);

    const attacker = await warmAgent(kluis, 40, "127.0.0.3");
    try {
      const flood = Array.from({ length: 40 }, () =>
        fetchToken(kluis, { appId: victim.appId, ...WRONG }, undefined, { agent: attacker, localAddress: "127.0.0.3" }),
      );
      const honest = fetchToken(kluis, victim, undefined, { localAddress: "127.0.0.2" });
      const other = fetchToken(kluis, bystander, undefined, { localAddress: "127.0.0.4" });
      const answers = await Promise.all(flood);
      const throttled = answers.filter((r) => r.status === 429);
      assert.ok(throttled.length >= 40 - SIGN_IN_LIMITS.perApplication, `statuses: ${statuses(answers)}`);
      for (const res of throttled) assertThrottled(res, 50196);
      for (const res of answers.filter((r) => r.status !== 429)) assert.equal(res.body.error, "invalid_client");
      assert.equal((await honest).status, 200, "a caller whose secret was verified before is not throttled");
      assert.equal((await other).status, 200, "another application signs in during the flood");
    } finally {
      attacker.destroy();
    }

    // After the burst the right secret gets a token from the attacker's own address too, and the token works.
    const after = await fetchToken(kluis, victim, undefined, { localAddress: "127.0.0.3" });
    assert.equal(after.status, 200);
    const list = await rawRequest(kluis, "floodvault.localhost", "GET", `/secrets?${API}`, {
      token: after.body.access_token,
    });
    assert.equal(list.status, 200);
    assert.equal((await rawRequest(kluis, "localhost", "GET", "/healthz")).status, 200);
  });

  it("locks an address out after 10 failures in a minute, without hashing; other addresses and verified callers still sign in", async () => {
    const app = await kluis.createServicePrincipal("lockout-app");
    const known = await kluis.createServicePrincipal("lockout-known");
    assert.equal((await fetchToken(kluis, known, undefined, { localAddress: "127.0.0.12" })).status, 200);

    const answers: RawResponse[] = [];
    for (let i = 0; i <= SIGN_IN_LIMITS.addressFailures; i++)
      answers.push(await fetchToken(kluis, { appId: app.appId, ...WRONG }, undefined, { localAddress: "127.0.0.11" }));
    assert.deepEqual(statuses(answers), [...Array(SIGN_IN_LIMITS.addressFailures).fill(401), 429]);
    assertThrottled(answers.at(-1)!, 50053);

    // The locked address is refused even the right secret of a principal it never signed in as ...
    assertThrottled(await fetchToken(kluis, app, undefined, { localAddress: "127.0.0.11" }), 50053);
    // ... while a secret verified before still works from there, and the application signs in from elsewhere.
    assert.equal((await fetchToken(kluis, known, undefined, { localAddress: "127.0.0.11" })).status, 200);
    assert.equal((await fetchToken(kluis, app, undefined, { localAddress: "127.0.0.13" })).status, 200);
  });

  it("checks an application's secrets one at a time after 20 failures in a minute, and its right secret still gets a token", async () => {
    const app = await kluis.createServicePrincipal("attacked-app");
    // 21 failures from three addresses, none of them past its own limit.
    const addresses = ["127.0.0.21", "127.0.0.22", "127.0.0.23"];
    const rounds = Math.ceil((SIGN_IN_LIMITS.applicationFailures + 1) / addresses.length);
    for (let round = 0; round < rounds; round++) {
      const answers = await Promise.all(
        addresses.map((localAddress) => fetchToken(kluis, { appId: app.appId, ...WRONG }, undefined, { localAddress })),
      );
      assert.deepEqual(statuses(answers), [401, 401, 401]);
    }

    const agent = await warmAgent(kluis, 3, "127.0.0.24");
    try {
      const burst = await Promise.all(
        [1, 2, 3].map(() =>
          fetchToken(kluis, { appId: app.appId, ...WRONG }, undefined, { agent, localAddress: "127.0.0.24" }),
        ),
      );
      assert.deepEqual(statuses(burst).sort(), [401, 429, 429], "one check runs, the others are refused");
      for (const res of burst.filter((r) => r.status === 429)) assertThrottled(res, 50196);
    } finally {
      agent.destroy();
    }
    assert.equal((await fetchToken(kluis, app, undefined, { localAddress: "127.0.0.25" })).status, 200);
  });

  it("answers hostile token requests with Azure AD's errors, never a server error", async () => {
    const sp = await kluis.createServicePrincipal("hostile-input");
    const post = (body: string, headers: Record<string, string>) =>
      rawRequest(kluis, "localhost", "POST", `/${kluis.info.tenantId}/oauth2/v2.0/token`, {
        body,
        headers,
        localAddress: "127.0.0.31",
      });
    const json = await post(
      JSON.stringify({
        grant_type: "client_credentials",
        client_id: { $ne: "" },
        client_secret: ["x"],
        scope: "https://vault.azure.net/.default",
      }),
      {
        "content-type": "application/json",
      },
    );
    assert.equal(json.status, 400);
    assert.equal(json.body.error, "invalid_request");
    const basic = await post("grant_type=client_credentials&scope=https%3A%2F%2Fvault.azure.net%2F.default", {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${sp.appId}:%E0%A4%A`).toString("base64")}`,
    });
    assert.equal(basic.status, 400, "undecodable Basic credentials count as none");
    assert.equal(basic.body.error, "invalid_request");
    const huge = await fetchToken(kluis, { appId: sp.appId, password: "x".repeat(100_000) }, undefined, {
      localAddress: "127.0.0.31",
    });
    assert.equal(huge.status, 401);
    assert.equal(huge.body.error, "invalid_client");
  });
});

describe("tokens do not outlive their principal or credential", () => {
  let kluis: Kluis;
  let signingKey: KeyObject;
  const host = "revokevault.localhost";

  before(async () => {
    kluis = await Kluis.start();
    await kluis.createVault("revokevault");
    await kluis.createVault("revokeother");
    // Read the signing key the way only someone holding the data directory could.
    const store = await openStore({
      sqliteFile: join(kluis.dataDir, "kluis.db"),
      sealer: new Sealer(loadMasterKey(kluis.dataDir)),
    });
    signingKey = createPrivateKey((await store.settings.getSealed("token_signing_key"))!.toString("utf8"));
    await store.close();
  });
  after(() => kluis?.dispose());

  const listSecrets = (token: string) => rawRequest(kluis, host, "GET", `/secrets?${API}`, { token });

  function assertRefused(res: RawResponse, message: RegExp): void {
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, "Unauthorized");
    assert.match(res.body.error.message, message);
    assert.equal(
      res.headers["www-authenticate"],
      `Bearer authorization="https://${host}:${kluis.info.port}/${kluis.info.tenantId}", resource="https://localhost"`,
    );
  }

  it("refuses a deleted principal's tokens with Key Vault's 401 and challenge, and drops it from every vault's access policies", async () => {
    const sp = await kluis.createServicePrincipal("to-delete");
    const objectId = (await kluis.cliJson(["ad", "sp", "show", "--id", sp.appId])).id as string;
    await kluis.setPolicy("revokevault", sp.appId, { secrets: ["list"] });
    await kluis.setPolicy("revokeother", sp.appId, { keys: ["get"] });
    const token = await accessToken(kluis, sp);
    assert.equal((await listSecrets(token)).status, 200);

    assert.equal((await kluis.cli(["ad", "sp", "delete", "--id", sp.appId])).code, 0);
    assertRefused(await listSecrets(token), /deleted/);
    for (const vault of ["revokevault", "revokeother"]) {
      const shown = await kluis.cliJson(["keyvault", "show", "--name", vault]);
      assert.ok(
        !shown.properties.accessPolicies.some((p: { objectId: string }) => p.objectId === objectId),
        `${vault} still lists ${objectId}`,
      );
    }
  });

  it("refuses tokens issued before a credential reset, and the old secret; the new secret's tokens work", async () => {
    const sp = await kluis.createServicePrincipal("to-reset");
    await kluis.setPolicy("revokevault", sp.appId, { secrets: ["list"] });
    const before = await accessToken(kluis, sp); // also leaves the old secret verified on this node
    assert.equal((await listSecrets(before)).status, 200);

    const reset = await kluis.cliJson(["ad", "sp", "credential", "reset", "--id", sp.appId]);
    assertRefused(await listSecrets(before), /credential reset/);
    const old = await fetchToken(kluis, sp);
    assert.equal(old.status, 401, "the old secret no longer signs in, verified before or not");
    assert.equal(old.body.error, "invalid_client");
    const fresh = await accessToken(kluis, { appId: sp.appId, password: reset.password });
    assert.equal((await listSecrets(fresh)).status, 200);
  });

  it("refuses tokens without exp or iat, or issued in the future, even signed with the server's own key", async () => {
    const sp = await kluis.createServicePrincipal("claims");
    await kluis.setPolicy("revokevault", sp.appId, { secrets: ["list"] });
    const objectId = (await kluis.cliJson(["ad", "sp", "show", "--id", sp.appId])).id as string;
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: { exp?: number; iat?: number }) => {
      const jwt = new SignJWT({ oid: objectId, appid: sp.appId, tid: kluis.info.tenantId })
        .setProtectedHeader({ alg: "RS256" })
        .setIssuer(`https://sts.windows.net/${kluis.info.tenantId}/`)
        .setAudience("https://vault.azure.net");
      if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
      if (claims.iat !== undefined) jwt.setIssuedAt(claims.iat);
      return jwt.sign(signingKey);
    };
    // The same token with both claims is good: what is refused below is refused for the claim alone.
    assert.equal((await listSecrets(await sign({ exp: now + 600, iat: now }))).status, 200);
    assertRefused(await listSecrets(await sign({ iat: now })), /no 'exp' claim/);
    assertRefused(await listSecrets(await sign({ exp: now + 600 })), /no 'iat' claim/);
    assertRefused(await listSecrets(await sign({ exp: now + 7200, iat: now + 3600 })), /iat is not valid/);
  });
});

describe("revocation across two nodes on one PostgreSQL", needsPostgres, () => {
  let cluster: Cluster | undefined;
  let nodeA: Kluis;
  let nodeB: Kluis;

  before(async () => {
    cluster = await startCluster(2);
    [nodeA, nodeB] = cluster.nodes as [Kluis, Kluis];
    await nodeA.createVault("pgrevoke");
  });
  after(() => cluster?.dispose());

  /**
   * Polls node B (every 100 ms, at most 5 s) until it refuses the token as revoked (401); returns its last answer.
   * Deleting a principal also removes its access-policy entries, and node B's vault cache may see that first: a 403
   * on the way is the principal losing access, not the token being accepted.
   */
  async function refusedOnB(token: string): Promise<RawResponse> {
    let res!: RawResponse;
    for (let i = 0; i < 50; i++) {
      res = await rawRequest(nodeB, "pgrevoke.localhost", "GET", `/secrets?${API}`, { token });
      if (res.status !== 200 && res.status !== 403) return res;
      await sleep(100);
    }
    return res;
  }

  const revocations = [
    { what: "deleted", name: "pg-deleted", args: (sp: ServicePrincipal) => ["ad", "sp", "delete", "--id", sp.appId] },
    {
      what: "given a new credential",
      name: "pg-reset",
      args: (sp: ServicePrincipal) => ["ad", "sp", "credential", "reset", "--id", sp.appId],
    },
  ];
  for (const { what, name, args } of revocations) {
    it(`refuses on node B, within 5 s, a token of a principal ${what} through node A`, async () => {
      const sp = await nodeA.createServicePrincipal(name);
      await nodeA.setPolicy("pgrevoke", sp.appId, { secrets: ["list"] });
      const token = await accessToken(nodeA, sp);
      // Node B sees the new access policy within its vault cache's lifetime (about two seconds).
      let before!: RawResponse;
      for (let i = 0; i < 50; i++) {
        before = await rawRequest(nodeB, "pgrevoke.localhost", "GET", `/secrets?${API}`, { token });
        if (before.status !== 403) break;
        await sleep(100);
      }
      assert.equal(before.status, 200);
      assert.equal((await nodeA.cli(args(sp))).code, 0);
      const res = await refusedOnB(token);
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, "Unauthorized");
      assert.ok(res.headers["www-authenticate"]);
    });
  }
});
