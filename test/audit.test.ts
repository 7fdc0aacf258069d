// The audit log: every data-plane and management call, refused or served, as Key Vault's AuditEvent, with no secret
// value, token or password in the store; the chain catches an edited or a deleted row; retention and the test clock.
import assert from "node:assert/strict";
import { createHash, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { CertificateClient } from "@azure/keyvault-certificates";
import { SecretClient } from "@azure/keyvault-secrets";
import { accessToken, enterDeviceCode, fetchToken, rawRequest, signInOnAuthorizePage } from "./helpers/http.js";
import { cleanEnv, Kluis, KLUIS_BIN, run, type ServicePrincipal } from "./helpers/kluis.js";
import { type Cluster, needsPostgres, startCluster } from "./helpers/cluster.js";
import { clientOptions, credentialFor, vaultUrl } from "./helpers/sdk.js";

const OID = "http://schemas.microsoft.com/identity/claims/objectidentifier";
const DAY = 86_400;

const UPN = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn";
const AZ_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

const adminCredential = (kluis: Kluis) => kluis.adminCredential();

async function adminManagementToken(kluis: Kluis): Promise<string> {
  const res = await fetchToken(kluis, adminCredential(kluis), "https://management.azure.com/.default");
  return res.body.access_token as string;
}

describe("audit log", () => {
  let kluis: Kluis;
  let sp: ServicePrincipal;
  let outsider: ServicePrincipal;
  const value = `audit-value-${randomBytes(12).toString("hex")}`;
  let token = "";
  const wrongSecret = `wrong-${randomBytes(12).toString("hex")}`;
  const userPassword = `Audit-1-${randomBytes(12).toString("hex")}`;
  const newUserPassword = `Audit-2-${randomBytes(12).toString("hex")}`;
  /** What must be in no audit entry and nowhere in the store's file (tokens are added as they are issued). */
  const secrets = [wrongSecret, userPassword, newUserPassword];
  let deviceCode = "";

  before(async () => {
    kluis = await Kluis.start();
    sp = await kluis.vaultWithPrincipal("auditvault", { secrets: ["get", "set", "list"] });
    outsider = await kluis.createServicePrincipal("audit-outsider");
  });
  after(() => kluis.dispose());

  it("records allowed and refused data-plane and management calls with their operation, result and identity", async () => {
    const secrets = new SecretClient(vaultUrl("auditvault"), credentialFor(kluis, sp), clientOptions(kluis));
    await secrets.setSecret("db-password", value);
    const got = await secrets.getSecret("db-password");
    token = await accessToken(kluis, sp);
    const h = "auditvault.localhost";
    assert.equal(
      (
        await rawRequest(kluis, h, "GET", "/secrets/db-password?api-version=7.5", {
          headers: { "x-ms-client-request-id": "corr-401" },
        })
      ).status,
      401,
    );
    assert.equal((await rawRequest(kluis, h, "GET", "/secrets/missing?api-version=7.5", { token })).status, 404);
    assert.equal(
      (
        await rawRequest(kluis, h, "GET", "/secrets/db-password?api-version=7.5", {
          token: await accessToken(kluis, outsider),
        })
      ).status,
      403,
    );
    assert.equal((await rawRequest(kluis, h, "DELETE", "/secrets/db-password?api-version=7.5", { token })).status, 403);
    // Management: the administrator's create, a principal without a role refused.
    await kluis.createVault("auditvault2");
    const armToken = (await fetchToken(kluis, sp, "https://management.azure.com/.default")).body.access_token as string;
    const sub = (await kluis.cliJson<{ id: string }>(["account", "show"])).id;
    const vaultPath = `/subscriptions/${sub}/resourceGroups/kluis/providers/Microsoft.KeyVault/vaults/auditvault2?api-version=2023-07-01`;
    assert.equal((await rawRequest(kluis, "localhost", "GET", vaultPath, { token: armToken })).status, 403);

    const entries = await kluis.cliJson<any[]>(["monitor", "audit", "list", "--vault", "auditvault"]);
    const find = (op: string, signature: string) =>
      entries.find((e) => e.operationName === op && e.resultSignature === signature);
    const set = find("SecretSet", "OK");
    assert.ok(set, JSON.stringify(entries.map((e) => `${e.operationName} ${e.resultSignature}`)));
    assert.equal(set.resultType, "Success");
    assert.equal(set.category, "AuditEvent");
    assert.equal(set.identity.claim.appid, sp.appId);
    assert.match(
      set.resourceId,
      /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/auditvault$/,
    );
    const get = find("SecretGet", "OK");
    assert.equal(get.properties.id, `${vaultUrl("auditvault")}/secrets/db-password`);
    assert.equal(get.properties.httpStatusCode, 200);
    assert.ok(get.operationVersion, "the api-version");
    assert.ok(get.callerIpAddress === "127.0.0.1" || get.callerIpAddress === "::ffff:127.0.0.1", get.callerIpAddress);
    assert.equal(typeof get.durationMs, "number");
    assert.ok(got.properties.version);
    const unauthorized = find("SecretGet", "Unauthorized");
    assert.equal(unauthorized.identity, null);
    assert.equal(unauthorized.correlationId, "corr-401");
    assert.match(unauthorized.resultDescription, /AKV10000/);
    assert.ok(find("SecretGet", "Not Found"));
    const forbidden = entries.filter((e) => e.resultSignature === "Forbidden");
    assert.deepEqual(forbidden.map((e) => e.operationName).sort(), ["SecretDelete", "SecretGet"]);
    assert.ok(forbidden.some((e) => e.identity.claim.appid === outsider.appId));

    const management = await kluis.cliJson<any[]>(["monitor", "audit", "list", "--vault", "auditvault2"]);
    const put = management.find((e) => e.operationName === "VaultPut");
    assert.equal(put?.resultType, "Success", JSON.stringify(management.map((e) => e.operationName)));
    assert.match(put.resourceId, /\/providers\/Microsoft\.KeyVault\/vaults\/auditvault2$/);
    const refused = management.find((e) => e.operationName === "VaultGet" && e.resultSignature === "Forbidden");
    assert.equal(refused?.identity.claim[OID], (await kluis.cliJson<any>(["ad", "sp", "show", "--id", sp.appId])).id);
  });

  it("records sign-ins, the device code flow, Graph calls and unrouted requests, refused ones too, without their secrets", async () => {
    const tenantPath = (path: string) => `/${kluis.info.tenantId}/oauth2/v2.0/${path}`;
    const form = (host: string, path: string, fields: Record<string, string>) =>
      rawRequest(kluis, host, "POST", path, {
        body: new URLSearchParams(fields).toString(),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
    // Client credentials: a wrong secret refused, the right one served (the first test's tokens).
    assert.equal((await fetchToken(kluis, { appId: outsider.appId, password: wrongSecret })).status, 401);
    // Graph: the administrator makes a user and resets its password; a principal without the role and no token are refused.
    const graphToken = async (who: { appId: string; password: string }) =>
      (await fetchToken(kluis, who, "https://graph.microsoft.com/.default")).body.access_token as string;
    const admin = await graphToken(adminCredential(kluis));
    const graph = (method: string, path: string, token?: string, body?: object) =>
      rawRequest(kluis, "graph.microsoft.com", method, `/v1.0${path}`, {
        token,
        body: body && JSON.stringify(body),
      });
    const upn = "audited@kluis.local";
    const created = await graph("POST", "/users", admin, {
      accountEnabled: true,
      displayName: "Audited",
      mailNickname: "audited",
      userPrincipalName: upn,
      passwordProfile: { password: userPassword },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await graph("GET", "/users", undefined)).status, 401);
    assert.equal((await graph("DELETE", `/users/${upn}`, await graphToken(sp))).status, 403);
    const reset = await graph("PATCH", `/users/${upn}`, admin, { passwordProfile: { password: newUserPassword } });
    assert.equal(reset.status, 204);
    // Password grant: the old password refused (50126), the new one served.
    const passwordGrant = (password: string) =>
      form("localhost", tenantPath("token"), {
        grant_type: "password",
        client_id: AZ_CLIENT_ID,
        username: upn,
        password,
        scope: "https://vault.azure.net/.default",
      });
    assert.equal((await passwordGrant(userPassword)).status, 400);
    assert.equal((await passwordGrant(newUserPassword)).status, 200);
    // The device code flow: started, a wrong password on the page, the right one, then the client's poll.
    const started = await form("localhost", tenantPath("devicecode"), {
      client_id: AZ_CLIENT_ID,
      scope: "https://vault.azure.net/.default",
    });
    assert.equal(started.status, 200);
    deviceCode = started.body.device_code;
    const page = new URL(started.body.verification_uri);
    assert.equal((await enterDeviceCode(kluis, page, started.body.user_code, upn, wrongSecret)).status, 400);
    assert.equal((await enterDeviceCode(kluis, page, started.body.user_code, upn, newUserPassword)).status, 200);
    const polled = await form("localhost", tenantPath("token"), {
      grant_type: "urn:ietf:params:oauth:grant-type:device_code",
      client_id: AZ_CLIENT_ID,
      device_code: deviceCode,
    });
    assert.equal(polled.status, 200);
    secrets.push(polled.body.access_token, polled.body.refresh_token, admin);
    // The authorization endpoint's sign-in page: a wrong password, then the right one (a redirect with a code).
    const authorize = `${tenantPath("authorize")}?${new URLSearchParams({
      client_id: AZ_CLIENT_ID,
      response_type: "code",
      redirect_uri: "http://localhost:8400",
      scope: "https://vault.azure.net/.default openid",
      code_challenge: createHash("sha256").update(randomBytes(32).toString("base64url")).digest("base64url"),
      code_challenge_method: "S256",
    })}`;
    assert.equal((await signInOnAuthorizePage(kluis, authorize, upn, wrongSecret)).status, 400);
    const redirected = await signInOnAuthorizePage(kluis, authorize, upn, newUserPassword);
    assert.equal(redirected.status, 302, String(redirected.body));
    secrets.push(new URL(String(redirected.headers.location)).searchParams.get("code")!);
    // A path no route serves, with a query that is not kept.
    assert.equal((await rawRequest(kluis, "localhost", "GET", "/no/such/route?sig=audit-query-sig")).status, 404);

    const entries = await kluis.cliJson<any[]>(["monitor", "audit", "list"]);
    const find = (op: string, signature: string, match: (e: any) => boolean = () => true) => {
      const found = entries.find((e) => e.operationName === op && e.resultSignature === signature && match(e));
      assert.ok(found, `${op} ${signature} in ${entries.map((e) => `${e.operationName} ${e.resultSignature}`)}`);
      return found;
    };
    const tenantResource = `/tenants/${kluis.info.tenantId}/providers/Microsoft.aadiam`;
    const spSignIn = find("SignIn", "OK", (e) => e.properties.appId === sp.appId);
    assert.equal(spSignIn.category, "ServicePrincipalSignInLogs");
    assert.equal(spSignIn.resourceId, tenantResource);
    assert.equal(spSignIn.properties.errorCode, 0);
    assert.equal(spSignIn.identity.claim.appid, sp.appId);
    const badSecret = find("SignIn", "Unauthorized", (e) => e.properties.appId === outsider.appId);
    assert.equal(badSecret.resultType, "Failure");
    assert.equal(badSecret.properties.errorCode, 7000215);
    assert.match(badSecret.resultDescription, /^AADSTS7000215: Invalid client secret provided/);
    const badPassword = find("SignIn", "Bad Request", (e) => e.properties.grantType === "password");
    assert.equal(badPassword.category, "SignInLogs");
    assert.equal(badPassword.properties.userPrincipalName, upn);
    assert.equal(badPassword.properties.errorCode, 50126);
    assert.equal(badPassword.identity, null);
    const userSignIn = find("SignIn", "OK", (e) => e.properties.grantType === "password");
    assert.equal(userSignIn.identity.claim[UPN], upn);
    assert.equal(userSignIn.properties.appId, AZ_CLIENT_ID);
    assert.equal(find("DeviceCodeStart", "OK").properties.appId, AZ_CLIENT_ID);
    const pageRefused = find("DeviceCodeSignIn", "Bad Request");
    assert.equal(pageRefused.properties.errorCode, 50126);
    assert.equal(pageRefused.properties.userPrincipalName, upn);
    assert.equal(pageRefused.properties.appId, AZ_CLIENT_ID);
    assert.equal(find("DeviceCodeSignIn", "OK").identity.claim[UPN], upn);
    const authorizeRefused = find("AuthorizeSignIn", "Bad Request");
    assert.deepEqual(
      [authorizeRefused.properties.errorCode, authorizeRefused.properties.userPrincipalName],
      [50126, upn],
    );
    const authorized = find("AuthorizeSignIn", "Found");
    assert.deepEqual([authorized.category, authorized.properties.appId], ["SignInLogs", AZ_CLIENT_ID]);
    assert.equal(authorized.identity.claim[UPN], upn);
    assert.equal(
      find("SignIn", "OK", (e) => e.properties.grantType === "urn:ietf:params:oauth:grant-type:device_code").category,
      "SignInLogs",
    );
    const userCreate = find("UserCreate", "Created");
    assert.equal(userCreate.category, "MicrosoftGraphActivityLogs");
    assert.equal(userCreate.resourceId, tenantResource);
    assert.equal(userCreate.properties.id, "https://graph.microsoft.com/v1.0/users");
    assert.equal(find("UserList", "Unauthorized").identity, null);
    assert.equal(find("UserDelete", "Forbidden").identity.claim.appid, sp.appId);
    assert.equal(find("UserUpdate", "No Content").properties.id, `https://graph.microsoft.com/v1.0/users/${upn}`);
    const unrouted = find("Unmatched", "Not Found");
    assert.equal(unrouted.resourceId, `https://localhost:${kluis.info.port}/no/such/route`);

    const all = JSON.stringify(entries);
    for (const secret of secrets) assert.equal(all.includes(secret), false, "a secret in the audit log");
    assert.equal(all.includes(deviceCode), false, "the device code in the audit log");
    assert.equal(all.includes("audit-query-sig"), false, "a query string in the audit log");
  });

  it("filters by caller (object id or application id), operation and time, and prints a table", async () => {
    const byApp = await kluis.cliJson<any[]>(["monitor", "audit", "list", "--caller", outsider.appId]);
    assert.ok(byApp.length >= 1);
    assert.ok(byApp.every((e) => e.identity.claim.appid === outsider.appId));
    const gets = await kluis.cliJson<any[]>([
      "monitor",
      "audit",
      "list",
      "--vault",
      "auditvault",
      "--operation",
      "SecretGet",
      "--since",
      "1h",
    ]);
    assert.ok(gets.length >= 4 && gets.every((e) => e.operationName === "SecretGet"));
    assert.deepEqual(await kluis.cliJson<any[]>(["monitor", "audit", "list", "--since", "2099-01-01T00:00:00Z"]), []);
    const table = await kluis.cli(["monitor", "audit", "list", "--operation", "SecretSet", "-o", "table"]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /SecretSet/);
    const refused = await kluis.cli(["monitor", "audit", "list", "--since", "yesterday-ish"]);
    assert.equal(refused.code, 1);
  });

  it("tails new entries as JSON lines", async () => {
    const env = { ...cleanEnv(), KLUIS_DATA_DIR: kluis.dataDir, KLUIS_CONFIG_DIR: join(kluis.dataDir, "no-sign-in") };
    const tail = run(
      process.execPath,
      [KLUIS_BIN, "monitor", "audit", "tail", "--vault", "auditvault", "--interval", "0.2"],
      { env, timeoutMs: 6000 },
    );
    await sleep(2500);
    const h = "auditvault.localhost";
    for (const id of ["tail-1", "tail-2"])
      await rawRequest(kluis, h, "GET", "/secrets/db-password?api-version=7.5", {
        token,
        headers: { "x-ms-client-request-id": id },
      });
    const { stdout } = await tail;
    const lines = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((e) => e.correlationId),
      ["tail-1", "tail-2"],
      "each new entry once, oldest first, none from before",
    );
    assert.equal(lines[0].operationName, "SecretGet");
  });

  it("keeps no secret value, token or password in the store", async () => {
    await kluis.stop();
    const raw = readFileSync(join(kluis.dataDir, "kluis.db"));
    const rows = new Database(join(kluis.dataDir, "kluis.db"), { readonly: true })
      .prepare("SELECT entry FROM audit_entries")
      .all() as { entry: string }[];
    assert.ok(rows.length > 10, `${rows.length} entries`);
    for (const secret of [value, token, sp.password, outsider.password, deviceCode, ...secrets]) {
      assert.equal(raw.includes(Buffer.from(secret)), false, "found in the SQLite file");
      assert.ok(rows.every((r) => !r.entry.includes(secret)));
    }
    await kluis.restart();
  });

  it("verify passes, then finds an edited row and a deleted row (exit status 1, the first bad entry)", async () => {
    const ok = await kluis.cliJson<any>(["monitor", "audit", "verify"]);
    assert.equal(ok.ok, true);
    assert.ok(ok.checked > 10);
    await kluis.stop();
    const file = join(kluis.dataDir, "kluis.db");
    const edit = (sql: string) => {
      const db = new Database(file);
      db.exec(sql);
      db.close();
    };
    const original = new Database(file, { readonly: true })
      .prepare("SELECT seq, entry FROM audit_entries WHERE seq = 3")
      .get() as { seq: number; entry: string };
    edit(
      `UPDATE audit_entries SET entry = replace(entry, '"resultType":"Failure"', '"resultType":"Success"'), operation_name = 'SecretList' WHERE seq = 3`,
    );
    await kluis.restart();
    let res = await kluis.cli(["monitor", "audit", "verify"]);
    assert.equal(res.code, 1);
    let report = JSON.parse(res.stdout);
    assert.equal(report.ok, false);
    assert.equal(report.firstBad.seq, 3);
    assert.match(report.firstBad.reason, /altered/);

    await kluis.stop();
    edit(
      `UPDATE audit_entries SET entry = '${original.entry.replaceAll("'", "''")}', operation_name = '${JSON.parse(original.entry).operationName}' WHERE seq = 3`,
    );
    edit("DELETE FROM audit_entries WHERE seq = 5");
    await kluis.restart();
    res = await kluis.cli(["monitor", "audit", "verify"]);
    assert.equal(res.code, 1, res.stdout);
    report = JSON.parse(res.stdout);
    assert.equal(report.firstBad.seq, 6);
    assert.match(report.firstBad.reason, /does not follow entry 4/);
  });

  it("verifies entries HMACed in format 1 (before format 2) and a chain that goes on in format 2", async () => {
    await kluis.stop();
    const file = join(kluis.dataDir, "kluis.db");
    const masterKey = Buffer.from(readFileSync(join(kluis.dataDir, "master.key"), "utf8").trim(), "base64");
    const key = Buffer.from(hkdfSync("sha256", masterKey, Buffer.alloc(0), "kluis audit chain v1", 32));
    type Row = Record<"node_id" | "operation_name" | "entry" | "prev_mac" | "mac", string> &
      Record<"vault" | "caller", string | null> &
      Record<"seq" | "time", number>;
    const hmac = (text: string) => createHmac("sha256", key).update(text).digest("hex");
    const field = (t: string | null) => (t === null ? "-" : `${t.length}.${t}`);
    const format1 = (r: Row) =>
      hmac(JSON.stringify([r.node_id, r.seq, r.time, r.vault, r.caller, r.operation_name, r.entry, r.prev_mac]));
    const format2 = (r: Row) =>
      "2:" +
      hmac(
        `${r.seq}.${r.time}.${field(r.node_id)}${field(r.vault)}${field(r.caller)}${field(r.operation_name)}${field(r.prev_mac)}${r.entry}`,
      );
    const db = new Database(file);
    const rows = db.prepare("SELECT * FROM audit_entries ORDER BY seq").all() as Row[];
    assert.ok(rows.length > 10);
    // What the server wrote is format 2 as documented (the earlier test left a gap at 5: its rows still hold alone).
    for (const r of rows) assert.equal(r.mac, format2(r), `entry ${r.seq}`);
    // The same log as a server before format 2 would have left it, then going on in format 2 after an upgrade.
    let prev = "0".repeat(64);
    const rechained = rows.map((r, i) => {
      const row = { ...r, seq: i + 1, prev_mac: prev };
      prev = row.mac = i < rows.length / 2 ? format1(row) : format2(row);
      return row;
    });
    const insert = db.prepare(
      "INSERT INTO audit_entries VALUES (@node_id, @seq, @time, @vault, @caller, @operation_name, @entry, @prev_mac, @mac)",
    );
    db.transaction(() => {
      db.exec("DELETE FROM audit_entries");
      for (const r of rechained) insert.run(r);
    })();
    db.close();
    await kluis.restart();
    const ok = await kluis.cliJson<any>(["monitor", "audit", "verify"]);
    assert.equal(ok.ok, true, JSON.stringify(ok.firstBad));
    assert.ok(ok.checked >= rows.length, `${ok.checked} checked of ${rows.length} and what came after`);

    await kluis.stop();
    const edit = new Database(file);
    edit.exec(`UPDATE audit_entries SET time = time + 1 WHERE seq = 2`); // a format-1 entry
    edit.close();
    await kluis.restart();
    const res = await kluis.cli(["monitor", "audit", "verify"]);
    assert.equal(res.code, 1, res.stdout);
    const report = JSON.parse(res.stdout);
    assert.equal(report.firstBad.seq, 2);
    assert.match(report.firstBad.reason, /altered/);
  });

  it("refuses the clock without --test-clock (404), and the audit routes to a non-administrator", async () => {
    const admin = await adminManagementToken(kluis);
    const res = await rawRequest(kluis, "localhost", "POST", "/kluis/clock", {
      token: admin,
      body: JSON.stringify({ offsetSeconds: 60 }),
    });
    assert.equal(res.status, 404);
    const spArm = (await fetchToken(kluis, sp, "https://management.azure.com/.default")).body.access_token as string;
    const audit = await rawRequest(kluis, "localhost", "GET", "/kluis/audit", { token: spArm });
    assert.equal(audit.status, 403);
    assert.equal(audit.body.error.code, "AuthorizationFailed");
  });
});

describe("test clock", () => {
  let kluis: Kluis;
  let sp: ServicePrincipal;
  let admin: string;
  const shift = async (offsetSeconds: number) => {
    const res = await rawRequest(kluis, "localhost", "POST", "/kluis/clock", {
      token: admin,
      body: JSON.stringify({ offsetSeconds }),
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };

  before(async () => {
    kluis = await Kluis.start({ args: ["--test-clock", "--audit-retention-days", "30"] });
    sp = await kluis.vaultWithPrincipal("clockvault", {
      secrets: ["get", "set", "delete", "list"],
      certificates: ["get", "create", "list"],
    });
    admin = await adminManagementToken(kluis);
  });
  after(() => kluis.dispose());

  it("renews an auto-renewing certificate, purges a soft-deleted secret and prunes old audit entries after a shift", async () => {
    const certs = new CertificateClient(vaultUrl("clockvault"), credentialFor(kluis, sp), clientOptions(kluis));
    const secrets = new SecretClient(vaultUrl("clockvault"), credentialFor(kluis, sp), clientOptions(kluis));
    await (
      await certs.beginCreateCertificate("renewing", {
        issuerName: "Self",
        subject: "CN=renewing",
        validityInMonths: 12,
        lifetimeActions: [{ lifetimePercentage: 50, action: "AutoRenew" }],
      })
    ).pollUntilDone();
    await secrets.setSecret("gone", "x");
    await (await secrets.beginDeleteSecret("gone")).pollUntilDone();
    const before = (await kluis.cliJson<any[]>(["monitor", "audit", "list"])).length;
    assert.ok(before > 5);

    await shift(10 * DAY);
    const versions = async () => {
      let n = 0;
      for await (const _ of certs.listPropertiesOfCertificateVersions("renewing")) n++;
      return n;
    };
    assert.equal(await versions(), 1, "not due at 10 days");
    assert.ok((await secrets.getDeletedSecret("gone")).name, "still recoverable");

    await shift(200 * DAY);
    assert.equal(await versions(), 2, "renewed past 50% of its lifetime");
    await assert.rejects(secrets.getDeletedSecret("gone"), (err: any) => err.statusCode === 404);
    // Every entry older than 30 days (at the shifted clock) is gone, the chain still verifies from its anchor.
    const left = await kluis.cliJson<any[]>(["monitor", "audit", "list"]);
    assert.ok(left.length < before, `${left.length} entries left of ${before}`);
    const verified = await kluis.cliJson<any>(["monitor", "audit", "verify"]);
    assert.equal(verified.ok, true, JSON.stringify(verified));
    // And goes on after a restart.
    await kluis.restart();
    // (a new client: the restarted server's proxy listens on another port)
    await new SecretClient(vaultUrl("clockvault"), credentialFor(kluis, sp), clientOptions(kluis)).setSecret(
      "after",
      "y",
    );
    assert.equal((await kluis.cliJson<any>(["monitor", "audit", "verify"])).ok, true);
  });
});

describe("audit log on PostgreSQL, two nodes", needsPostgres, () => {
  let cluster: Cluster | undefined;
  let nodeA: Kluis;
  let nodeB: Kluis;
  let sp: ServicePrincipal;

  before(async () => {
    cluster = await startCluster(2);
    [nodeA, nodeB] = cluster.nodes as [Kluis, Kluis];
    sp = await nodeA.vaultWithPrincipal("pgaudit", { secrets: ["get", "set"] });
  });
  after(() => cluster?.dispose());

  it("chains each node's entries on its own, written at once from both, and finds an edit in either chain", async () => {
    const token = await accessToken(nodeA, sp);
    await rawRequest(nodeA, "pgaudit.localhost", "PUT", "/secrets/s?api-version=7.5", {
      token,
      body: JSON.stringify({ value: "v" }),
    });
    await Promise.all(
      [nodeA, nodeB].flatMap((node) =>
        Array.from({ length: 20 }, () =>
          rawRequest(node, "pgaudit.localhost", "GET", "/secrets/s?api-version=7.5", { token }),
        ),
      ),
    );
    const verified = await nodeA.cliJson<any>(["monitor", "audit", "verify"]);
    await nodeB.cliJson<any>(["monitor", "audit", "verify"]); // flushes B's queue too
    const both = await nodeA.cliJson<any>(["monitor", "audit", "verify"]);
    assert.equal(both.ok, true, JSON.stringify(both));
    assert.equal(both.nodes.length, 2);
    assert.ok(both.checked >= 41 && both.checked >= verified.checked);
    const gets = await nodeB.cliJson<any[]>([
      "monitor",
      "audit",
      "list",
      "--vault",
      "pgaudit",
      "--operation",
      "SecretGet",
    ]);
    assert.equal(gets.length, 40);
    assert.equal(new Set(gets.map((e) => e.nodeId)).size, 2);

    const victim = gets[0].nodeId as string;
    await cluster!.pg.query("UPDATE audit_entries SET caller = 'someone-else' WHERE node_id = $1 AND seq = 2", [
      victim,
    ]);
    const res = await nodeA.cli(["monitor", "audit", "verify"]);
    assert.equal(res.code, 1);
    const report = JSON.parse(res.stdout);
    assert.equal(report.firstBad.nodeId, victim);
    assert.equal(report.firstBad.seq, 2);
  });
});
