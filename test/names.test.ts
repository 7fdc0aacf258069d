// Key Vault object names are case-insensitive: any spelling reaches the same certificate, key or secret, a new
// version keeps the spelling the object was created with, and a database written before names were folded is
// upgraded in place with every value still readable.
import assert from "node:assert/strict";
import { createHash, createPublicKey, verify } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import SqliteDatabase from "better-sqlite3";
import { CertificateClient, DefaultCertificatePolicy } from "@azure/keyvault-certificates";
import { CryptographyClient, KeyClient } from "@azure/keyvault-keys";
import { SecretClient } from "@azure/keyvault-secrets";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";
import { clientOptions, credentialFor, vaultUrl } from "./helpers/sdk.js";

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function statusOf(call: () => Promise<unknown>): Promise<number | undefined> {
  try {
    await call();
  } catch (err) {
    return (err as { statusCode?: number }).statusCode;
  }
  assert.fail("the call succeeded");
}

describe("case-insensitive object names", () => {
  let kluis: Kluis;
  let sp: ServicePrincipal;
  let secrets: SecretClient;
  let keys: KeyClient;
  let certificates: CertificateClient;

  before(async () => {
    kluis = await Kluis.start();
    sp = await kluis.vaultWithPrincipal("casevault", {
      secrets: ["get", "list", "set", "delete", "recover", "purge", "backup", "restore"],
      keys: ["get", "list", "create", "sign", "delete"],
      certificates: ["get", "list", "create", "delete"],
    });
    await kluis.createVault("casevault2");
    await kluis.setPolicy("casevault2", sp.appId, { secrets: ["get", "restore"] });
    const credential = credentialFor(kluis, sp);
    secrets = new SecretClient(vaultUrl("casevault"), credential, clientOptions(kluis));
    keys = new KeyClient(vaultUrl("casevault"), credential, clientOptions(kluis));
    certificates = new CertificateClient(vaultUrl("casevault"), credential, clientOptions(kluis));
  });
  after(() => kluis.dispose());

  it("reaches a secret under any spelling, keeps its first spelling, and soft-deletes it once", async () => {
    const first = await secrets.setSecret("Db-Password", "one");
    const second = await secrets.setSecret("DB-PASSWORD", "two");
    assert.equal(second.name, "Db-Password");
    assert.match(second.properties.id!, /\/secrets\/Db-Password\/[0-9a-f]{32}$/);

    const read = await secrets.getSecret("db-password");
    assert.equal(read.value, "two");
    assert.equal(read.name, "Db-Password");
    assert.equal((await secrets.getSecret("dB-pAsSwOrD", { version: first.properties.version })).value, "one");

    const versions = await collect(secrets.listPropertiesOfSecretVersions("db-PASSWORD"));
    assert.equal(versions.length, 2);
    const listed = (await collect(secrets.listPropertiesOfSecrets())).filter(
      (s) => s.name.toLowerCase() === "db-password",
    );
    assert.deepEqual(
      listed.map((s) => s.name),
      ["Db-Password"],
    );

    await (await secrets.beginDeleteSecret("db-password")).pollUntilDone();
    assert.equal(await statusOf(() => secrets.setSecret("DB-Password", "three")), 409);
    assert.equal((await secrets.getDeletedSecret("DB-PASSWORD")).name, "Db-Password");
    await (await secrets.beginRecoverDeletedSecret("Db-password")).pollUntilDone();
    assert.equal((await secrets.getSecret("Db-Password")).value, "two");
  });

  it("backs up under any spelling and restores the first spelling", async () => {
    await secrets.setSecret("Api-Token", "t0k3n");
    const backup = await secrets.backupSecret("API-TOKEN");
    const other = new SecretClient(vaultUrl("casevault2"), credentialFor(kluis, sp), clientOptions(kluis));
    const restored = await other.restoreSecretBackup(backup!);
    assert.equal(restored.name, "Api-Token");
    assert.equal((await other.getSecret("api-token")).value, "t0k3n");
  });

  it("signs with a key addressed by another spelling", async () => {
    const key = await keys.createRsaKey("Signing-Key");
    const again = await keys.createRsaKey("SIGNING-KEY");
    assert.equal(again.name, "Signing-Key");
    assert.equal((await collect(keys.listPropertiesOfKeyVersions("signing-key"))).length, 2);
    const digest = createHash("sha256").update("hello").digest();
    const crypto = new CryptographyClient(
      key.id!.replace("Signing-Key", "signing-key"),
      credentialFor(kluis, sp),
      clientOptions(kluis),
    );
    const { result } = await crypto.sign("RS256", digest);
    const b64 = (bytes?: Uint8Array) => Buffer.from(bytes!).toString("base64url");
    const publicKey = createPublicKey({ key: { kty: "RSA", n: b64(key.key!.n), e: b64(key.key!.e) }, format: "jwk" });
    assert.ok(verify("sha256", Buffer.from("hello"), publicKey, Buffer.from(result)));
  });

  it("adds a certificate version under another spelling, with its key and secret under the first", async () => {
    await (await certificates.beginCreateCertificate("Web-Cert", DefaultCertificatePolicy)).pollUntilDone();
    const poller = await certificates.beginCreateCertificate("WEB-CERT", DefaultCertificatePolicy);
    const second = await poller.pollUntilDone();
    assert.equal(second.name, "Web-Cert");
    assert.match(second.keyId!, /\/keys\/Web-Cert\/[0-9a-f]{32}$/);
    assert.match(second.secretId!, /\/secrets\/Web-Cert\/[0-9a-f]{32}$/);
    assert.equal((await collect(certificates.listPropertiesOfCertificateVersions("web-cert"))).length, 2);
    const secret = await secrets.getSecret("web-CERT");
    assert.equal(secret.properties.version, second.properties.version);
  });
});

describe("upgrade of a database written before names were folded", () => {
  it("keeps every value readable and reachable under any spelling", async () => {
    const kluis = await Kluis.start();
    try {
      const sp = await kluis.vaultWithPrincipal("oldvault", { secrets: ["get", "list", "set"] });
      const client = new SecretClient(vaultUrl("oldvault"), credentialFor(kluis, sp), clientOptions(kluis));
      await client.setSecret("Mixed-Case", "kept");
      await kluis.stop();

      // Put the store back in its 0002 shape: the tables as before 0003 (primary keys on the spelled name, no
      // name_key), and without what later migrations added (credential generations, resource groups, users, the audit log).
      const db = new SqliteDatabase(join(kluis.dataDir, "kluis.db"));
      db.exec(`
        CREATE TABLE names_0002 (vault text not null, kind text not null, name text not null, deleted_at bigint, scheduled_purge_at bigint,
          state text not null, sealed_state text, PRIMARY KEY (vault, kind, name));
        INSERT INTO names_0002 SELECT vault, kind, name, deleted_at, scheduled_purge_at, state, sealed_state FROM object_names;
        DROP TABLE object_names; ALTER TABLE names_0002 RENAME TO object_names;
        DROP INDEX object_versions_by_seq;
        CREATE TABLE versions_0002 (vault text not null, kind text not null, name text not null, version text not null, seq bigint not null,
          created_at bigint not null, updated_at bigint not null, attributes text not null, tags text not null, data text not null,
          sealed text, PRIMARY KEY (vault, kind, name, version));
        INSERT INTO versions_0002 SELECT vault, kind, name, version, seq, created_at, updated_at, attributes, tags, data, sealed FROM object_versions;
        DROP TABLE object_versions; ALTER TABLE versions_0002 RENAME TO object_versions;
        CREATE INDEX object_versions_by_seq ON object_versions (vault, kind, name, seq);
        ALTER TABLE principals DROP COLUMN credential_generation;
        DROP TABLE resource_groups; DROP TABLE users; DROP TABLE role_assignments; DROP TABLE role_definitions; DROP TABLE audit_entries;
        DROP TABLE authorization_codes;
        DELETE FROM kysely_migration WHERE name > '0002_vault_soft_delete';
      `);
      assert.equal(
        (db.prepare("SELECT count(*) AS n FROM object_versions WHERE name = 'Mixed-Case'").get() as { n: number }).n,
        1,
      );
      db.close();

      await kluis.restart();
      const upgraded = new SecretClient(vaultUrl("oldvault"), credentialFor(kluis, sp), clientOptions(kluis));
      const read = await upgraded.getSecret("mixed-case");
      assert.equal(read.value, "kept");
      assert.equal(read.name, "Mixed-Case");
      assert.equal((await upgraded.setSecret("MIXED-CASE", "next")).name, "Mixed-Case");
      assert.equal((await collect(upgraded.listPropertiesOfSecretVersions("Mixed-Case"))).length, 2);
    } finally {
      await kluis.dispose();
    }
  });
});
