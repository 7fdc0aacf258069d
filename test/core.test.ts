// Issue 2's negative cases and guarantees: authentication, authorization, Key Vault's error shapes, durability.
import assert from "node:assert/strict";
import { createPrivateKey, generateKeyPairSync, randomUUID } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CertificateClient, DefaultCertificatePolicy } from "@azure/keyvault-certificates";
import { SecretClient } from "@azure/keyvault-secrets";
import { SignJWT } from "jose";
import { loadMasterKey, Sealer } from "../src/crypto/sealing.js";
import { purgeExpiredDeletions } from "../src/server/purge-sweeper.js";
import { openStore } from "../src/store/open.js";
import { accessToken, fetchToken, rawRequest } from "./helpers/http.js";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";
import { clientOptions, credentialFor, vaultUrl } from "./helpers/sdk.js";

const API = "api-version=7.5";

describe("core server", () => {
  let kluis: Kluis;
  let sp: ServicePrincipal;
  let token: string;
  const host = "corevault.localhost";

  before(async () => {
    kluis = await Kluis.start();
    sp = await kluis.vaultWithPrincipal("corevault", { certificates: ["get", "list", "create"] });
    token = await accessToken(kluis, sp);
  });
  after(() => kluis.dispose());

  it("answers /healthz and /healthz/live (alive), and /healthz/ready (its store answers)", async () => {
    for (const path of ["/healthz", "/healthz/live"])
      assert.equal((await rawRequest(kluis, "localhost", "GET", path)).status, 200, path);
    const ready = await rawRequest(kluis, "localhost", "GET", "/healthz/ready");
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { status: "ready" });
  });

  it("challenges a request without a token with Key Vault's WWW-Authenticate", async () => {
    const res = await rawRequest(kluis, host, "POST", `/certificates/c1/create?${API}`, { body: "" });
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, "Unauthorized");
    assert.equal(
      res.headers["www-authenticate"],
      `Bearer authorization="https://${host}:${kluis.info.port}/${kluis.info.tenantId}", resource="https://localhost"`,
    );
  });

  it("challenges *.vault.azure.net with Azure's login host and resource", async () => {
    const res = await rawRequest(kluis, "corevault.vault.azure.net", "GET", `/certificates?${API}`);
    assert.equal(res.status, 401);
    assert.equal(
      res.headers["www-authenticate"],
      `Bearer authorization="https://login.microsoftonline.com/${kluis.info.tenantId}", resource="https://vault.azure.net"`,
    );
  });

  it("rejects a token signed by another key", async () => {
    const forged = await new SignJWT({ oid: randomUUID(), appid: sp.appId, tid: kluis.info.tenantId })
      .setProtectedHeader({ alg: "RS256" })
      .setIssuer(`https://sts.windows.net/${kluis.info.tenantId}/`)
      .setAudience("https://vault.azure.net")
      .setExpirationTime("1h")
      .sign(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey);
    const res = await rawRequest(kluis, host, "GET", `/certificates?${API}`, { token: forged });
    assert.equal(res.status, 401);
    assert.match(res.body.error.message, /signature/);
  });

  it("rejects an expired token and a token for another audience, both signed with the server's own key", async () => {
    // Read the signing key the way only someone holding the data directory could.
    const store = await openStore({
      sqliteFile: join(kluis.dataDir, "kluis.db"),
      sealer: new Sealer(loadMasterKey(kluis.dataDir)),
    });
    const key = createPrivateKey((await store.settings.getSealed("token_signing_key"))!.toString("utf8"));
    await store.close();
    const sign = (aud: string, exp: number) =>
      new SignJWT({ oid: randomUUID(), appid: sp.appId, tid: kluis.info.tenantId })
        .setProtectedHeader({ alg: "RS256" })
        .setIssuer(`https://sts.windows.net/${kluis.info.tenantId}/`)
        .setAudience(aud)
        .setIssuedAt(exp - 3599)
        .setExpirationTime(exp)
        .sign(key);
    const now = Math.floor(Date.now() / 1000);
    const expired = await rawRequest(kluis, host, "GET", `/certificates?${API}`, {
      token: await sign("https://vault.azure.net", now - 3600),
    });
    assert.equal(expired.status, 401);
    assert.match(expired.body.error.message, /expired/);
    const wrongAudience = await rawRequest(kluis, host, "GET", `/certificates?${API}`, {
      token: await sign("https://management.azure.com", now + 3600),
    });
    assert.equal(wrongAudience.status, 401);
  });

  it("answers a wrong client secret with Azure AD's 401 invalid_client, and an unknown client with 400", async () => {
    const bad = await fetchToken(kluis, { appId: sp.appId, password: "not-the-secret" });
    assert.equal(bad.status, 401);
    assert.equal(bad.body.error, "invalid_client");
    assert.match(bad.body.error_description, /^AADSTS7000215: Invalid client secret/);
    assert.deepEqual(bad.body.error_codes, [7000215]);
    const unknown = await fetchToken(kluis, { appId: randomUUID(), password: "x" });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error, "unauthorized_client");
  });

  it("refuses an operation the access policy lacks with 403 naming the permission", async () => {
    const client = new CertificateClient(vaultUrl("corevault"), credentialFor(kluis, sp), clientOptions(kluis));
    const poller = await client.beginCreateCertificate("nodelete", DefaultCertificatePolicy);
    await poller.pollUntilDone();
    await assert.rejects(client.beginDeleteCertificate("nodelete"), (err: any) => {
      assert.equal(err.statusCode, 403);
      assert.equal(err.code, "Forbidden");
      assert.match(
        err.message,
        new RegExp(`appid=${sp.appId}.*does not have certificates delete permission on key vault 'corevault`),
      );
      return true;
    });
    // Nothing changed: the certificate is still there.
    assert.equal((await client.getCertificate("nodelete")).name, "nodelete");
  });

  it("stops answering a principal whose access policy was deleted", async () => {
    const other = await kluis.createServicePrincipal("revoked");
    await kluis.setPolicy("corevault", other.appId, { certificates: ["list"] });
    const t = await accessToken(kluis, other);
    assert.equal((await rawRequest(kluis, host, "GET", `/certificates?${API}`, { token: t })).status, 200);
    await kluis.cliJson(["keyvault", "delete-policy", "--name", "corevault", "--spn", other.appId]);
    assert.equal((await rawRequest(kluis, host, "GET", `/certificates?${API}`, { token: t })).status, 403);
  });

  it("uses Key Vault's error shape for unknown routes, bad JSON, bad names, over-long paths, unknown objects and api-versions", async () => {
    const cases: [string, string, string | undefined, number, string][] = [
      ["GET", `/nothing-here?${API}`, undefined, 404, "NotFound"],
      ["POST", `/certificates/c2/create?${API}`, "{not json", 400, "BadParameter"],
      ["POST", `/certificates/bad_name!/create?${API}`, "{}", 400, "BadParameter"],
      ["GET", `/certificates/missing?${API}`, undefined, 404, "CertificateNotFound"],
      ["GET", `/certificates/missing/pending?${API}`, undefined, 404, "PendingCertificateNotFound"],
      ["GET", `/deletedcertificates/missing?${API}`, undefined, 404, "CertificateNotFound"],
      ["GET", `/certificates?api-version=1.0`, undefined, 400, "BadParameter"],
      ["GET", `/certificates`, undefined, 400, "BadParameter"],
      [
        "POST",
        `/certificates/c3/create?${API}`,
        JSON.stringify({ policy: { key_props: { kty: "RSA", key_size: 1024 } } }),
        400,
        "BadParameter",
      ],
      // Refused by the router itself, before any handler: a path segment over its limit.
      ["GET", `/certificates/c4/${"a".repeat(300)}?${API}`, undefined, 400, "BadParameter"],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await rawRequest(kluis, host, method, path, { token, body });
      assert.equal(res.status, status, `${method} ${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, code, `${method} ${path}`);
      assert.equal(typeof res.body.error.message, "string");
    }
    // None of the refused creates left anything behind.
    const list = await rawRequest(kluis, host, "GET", `/certificates?${API}&includePending=true`, { token });
    assert.deepEqual(list.body.value.map((c: { id: string }) => c.id.split("/").pop()).sort(), ["nodelete"]);
  });

  it("accepts the JS SDK's percent-encoded api%2Dversion and a trailing slash", async () => {
    const res = await rawRequest(kluis, host, "GET", `/certificates/nodelete/?api%2Dversion=2025-07-01`, { token });
    assert.equal(res.status, 200);
    assert.match(res.body.id, /\/certificates\/nodelete\/[0-9a-f]{32}$/);
  });

  it("keeps acknowledged certificates and deleted state across a crash (SIGKILL) and restart", async () => {
    const admin = await kluis.createServicePrincipal("durability");
    await kluis.setPolicy("corevault", admin.appId, { certificates: ["get", "list", "create", "delete", "recover"] });
    const client = new CertificateClient(vaultUrl("corevault"), credentialFor(kluis, admin), clientOptions(kluis));
    const kept = await (await client.beginCreateCertificate("kept", DefaultCertificatePolicy)).pollUntilDone();
    await (await client.beginCreateCertificate("gone", DefaultCertificatePolicy)).pollUntilDone();
    await client.beginDeleteCertificate("gone");

    await kluis.restart("SIGKILL");

    const after2 = new CertificateClient(vaultUrl("corevault"), credentialFor(kluis, admin), clientOptions(kluis));
    const again = await after2.getCertificate("kept");
    assert.equal(again.properties.version, kept.properties.version);
    assert.deepEqual(Buffer.from(again.cer!), Buffer.from(kept.cer!));
    const deleted = await after2.getDeletedCertificate("gone");
    assert.equal(deleted.name, "gone");
    await assert.rejects(
      after2.beginCreateCertificate("gone", DefaultCertificatePolicy),
      (err: any) => err.statusCode === 409,
    );
  });

  it("keeps every acknowledged write of a concurrent burst across a crash, and none of the refused ones", async () => {
    // Concurrent writes share SQLite COMMITs (src/store/commit-group.ts): a refusal inside a group must undo only
    // itself, and a write is answered only once the COMMIT holding it is on disk.
    const writer = await kluis.createServicePrincipal("burst");
    await kluis.setPolicy("corevault", writer.appId, { secrets: ["get", "list", "set", "delete", "recover"] });
    const client = new SecretClient(vaultUrl("corevault"), credentialFor(kluis, writer), clientOptions(kluis));
    await client.setSecret("burst-deleted", "original");
    await (await client.beginDeleteSecret("burst-deleted")).pollUntilDone();

    const names = Array.from({ length: 30 }, (_, i) => `burst-${i}`);
    const writes = [
      ...names.map((n) => client.setSecret(n, `value of ${n}`)),
      ...Array.from({ length: 10 }, (_, i) => client.setSecret("burst-deleted", `refused ${i}`)),
    ];
    const outcomes = await Promise.allSettled(writes);
    assert.equal(outcomes.slice(0, 30).filter((o) => o.status === "fulfilled").length, 30);
    for (const o of outcomes.slice(30))
      assert.equal(o.status === "rejected" && (o.reason as { statusCode?: number }).statusCode, 409);

    await kluis.stop("SIGKILL");
    // The killed server left its server.json behind; the CLI must not take it for a running server.
    const env = await kluis.cli(["server", "env"]);
    assert.notEqual(env.code, 0);
    assert.match(env.stderr, /No running server/);
    await kluis.restart();

    const after2 = new SecretClient(vaultUrl("corevault"), credentialFor(kluis, writer), clientOptions(kluis));
    for (const n of names) assert.equal((await after2.getSecret(n)).value, `value of ${n}`);
    await (await after2.beginRecoverDeletedSecret("burst-deleted")).pollUntilDone();
    const recovered = await after2.getSecret("burst-deleted");
    assert.equal(recovered.value, "original");
    const versions: unknown[] = [];
    for await (const v of after2.listPropertiesOfSecretVersions("burst-deleted")) versions.push(v);
    assert.equal(versions.length, 1, "the refused writes added no version");
  });

  it("shuts down cleanly on SIGTERM", async () => {
    assert.equal(await kluis.stop("SIGTERM"), 0);
    await kluis.restart();
  });

  it("purges deleted objects once their scheduled purge date has passed, and only then", async () => {
    await kluis.stop("SIGTERM");
    const store = await openStore({
      sqliteFile: join(kluis.dataDir, "kluis.db"),
      sealer: new Sealer(loadMasterKey(kluis.dataDir)),
    });
    try {
      const gone = await store.objects.getName("corevault", "certificate", "gone");
      assert.ok(gone?.scheduledPurgeAt, "deleted earlier in this suite");
      assert.equal(await purgeExpiredDeletions(store, gone.scheduledPurgeAt - 1000), 0);
      assert.ok(await store.objects.getName("corevault", "key", "gone"));
      // The certificate, its key and its secret all reach their date together.
      assert.equal(await purgeExpiredDeletions(store, gone.scheduledPurgeAt + 1000), 3);
      for (const kind of ["certificate", "key", "secret"] as const) {
        assert.equal(await store.objects.getName("corevault", kind, "gone"), undefined);
        assert.equal(await store.objects.getVersion("corevault", kind, "gone"), undefined);
      }
      assert.ok(await store.objects.getVersion("corevault", "certificate", "kept"), "live objects are untouched");
    } finally {
      await store.close();
      await kluis.restart();
    }
  });
});
