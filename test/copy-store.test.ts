// Moving a single-node Kluis from its SQLite file to PostgreSQL with `kluis server copy-store`: what the SDKs wrote
// before, a PostgreSQL node serves after, to the same service principal; a second copy or a missing file is refused.
import assert from "node:assert/strict";
import { createHash, createPublicKey, randomBytes, verify } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import SqliteDatabase from "better-sqlite3";
import {
  CertificateClient,
  DefaultCertificatePolicy,
  type KeyVaultCertificateWithPolicy,
} from "@azure/keyvault-certificates";
import { CryptographyClient, KeyClient, type KeyVaultKey } from "@azure/keyvault-keys";
import { SecretClient } from "@azure/keyvault-secrets";
import { Kluis, type RunResult, type ServicePrincipal } from "./helpers/kluis.js";
import { Postgres } from "./helpers/postgres.js";
import { postgresRows, sqliteRows, type StoreRows } from "./helpers/store-rows.js";
import { clientOptions, credentialFor, vaultUrl } from "./helpers/sdk.js";

const VAULT = "movevault";

/** Every row of every Kluis table, each as sorted JSON of its values as text: int8 comes back from pg as a string. */
type Rows = Record<string, string[]>;
const asText = (row: Record<string, unknown>) =>
  JSON.stringify(Object.entries(row).map(([k, v]) => [k, v === null ? null : String(v)]));

/** Every row of a store's tables (those `keep` keeps), for comparing two stores. */
async function rowsOf(store: StoreRows | Promise<StoreRows>, keep = (_table: string) => true): Promise<Rows> {
  const opened = await store;
  try {
    const rows: Rows = {};
    for (const table of opened.tables.filter(keep)) rows[table] = (await opened.read(table)).map(asText).sort();
    return rows;
  } finally {
    await opened.close();
  }
}

const notAudit = (table: string) => table !== "audit_entries";

function publicKeyOf(key: KeyVaultKey) {
  const b64 = (u?: Uint8Array) => Buffer.from(u!).toString("base64url");
  return createPublicKey({ key: { kty: "RSA", n: b64(key.key!.n), e: b64(key.key!.e) }, format: "jwk" });
}

function assertOneLineError(res: RunResult, message: RegExp): void {
  assert.notEqual(res.code, 0);
  assert.equal(res.stdout, "");
  assert.equal(res.stderr.trim().split("\n").length, 1, res.stderr);
  assert.match(res.stderr, message);
}

describe(
  "kluis server copy-store: SQLite to PostgreSQL",
  { skip: !Postgres.available() && "PostgreSQL server binaries are not installed" },
  () => {
    let pgServer: Postgres;
    let source: Kluis;
    let target: Kluis | undefined;
    let sp: ServicePrincipal;
    // Known to the test so that the PostgreSQL node gets the key the SQLite store was sealed under.
    const masterKey = randomBytes(32).toString("hex");
    const env = { KLUIS_MASTER_KEY: masterKey };
    const original: {
      v1?: string;
      v2?: string;
      key?: KeyVaultKey;
      cert?: KeyVaultCertificateWithPolicy;
      pfx?: string;
    } = {};
    const copyTo = (kluis: Kluis, dir: string) =>
      kluis.cli(["server", "copy-store", "--data-dir", dir, "--to", pgServer.url]);

    before(async () => {
      pgServer = await Postgres.start();
      source = await Kluis.start({ env });
      sp = await source.vaultWithPrincipal(VAULT, {
        certificates: ["get", "create"],
        keys: ["get", "create", "sign", "verify"],
        secrets: ["get", "set", "delete", "recover"],
      });
      const secrets = new SecretClient(vaultUrl(VAULT), credentialFor(source, sp), clientOptions(source));
      original.v1 = (await secrets.setSecret("moved", "first")).properties.version;
      original.v2 = (await secrets.setSecret("moved", "second")).properties.version;
      await secrets.setSecret("gone", "deleted before the move");
      await (await secrets.beginDeleteSecret("gone")).pollUntilDone();

      const keys = new KeyClient(vaultUrl(VAULT), credentialFor(source, sp), clientOptions(source));
      original.key = await keys.createRsaKey("signer");
      const crypto = new CryptographyClient(original.key, credentialFor(source, sp), clientOptions(source));
      await crypto.sign("RS256", createHash("sha256").update("before the move").digest());

      const certs = new CertificateClient(vaultUrl(VAULT), credentialFor(source, sp), clientOptions(source));
      original.cert = await (await certs.beginCreateCertificate("movedcert", DefaultCertificatePolicy)).pollUntilDone();
      original.pfx = (await secrets.getSecret("movedcert")).value;

      // A custom role and role assignments, so that their tables have rows to copy.
      const subscription = `/subscriptions/${source.info.subscriptionId}`;
      const role = {
        Name: "Copied Role",
        DataActions: ["Microsoft.KeyVault/vaults/secrets/getSecret/action"],
        AssignableScopes: [subscription],
      };
      await source.cliJson(["role", "definition", "create", "--role-definition", JSON.stringify(role)]);
      for (const name of ["Copied Role", "Reader"])
        await source.cliJson([
          "role",
          "assignment",
          "create",
          "--role",
          name,
          "--assignee",
          sp.appId,
          "--scope",
          subscription,
        ]);
    });
    after(async () => {
      await source?.dispose();
      await target?.dispose();
      pgServer?.stop();
    });

    it("refuses while the server on the data directory runs", async () => {
      assertOneLineError(
        await copyTo(source, source.dataDir),
        /^ERROR: A server \(pid \d+\) is running on .*; stop it first/,
      );
    });

    it("copies every row of every table exactly, and says what the nodes need without printing the key", async () => {
      await source.stop();
      const res = await copyTo(source, source.dataDir);
      assert.equal(res.code, 0, res.stderr);
      const out = JSON.parse(res.stdout) as { copied: Record<string, number>; masterKey: string; caFiles: string };

      const rows = await rowsOf(sqliteRows(join(source.dataDir, "kluis.db")));
      assert.deepEqual(Object.keys(out.copied).sort(), [
        "audit_entries",
        "authorization_codes",
        "event_deliveries",
        "event_marks",
        "event_subscriptions",
        "object_names",
        "object_versions",
        "principals",
        "resource_groups",
        "role_assignments",
        "role_definitions",
        "settings",
        "users",
        "vaults",
      ]);
      assert.deepEqual(out.copied, Object.fromEntries(Object.entries(rows).map(([t, r]) => [t, r.length])));
      assert.deepEqual(await rowsOf(postgresRows(pgServer.url)), rows);

      assert.match(out.masterKey, /KLUIS_MASTER_KEY/);
      assert.match(out.caFiles, /ca\.pem.*ca-key\.pem/);
      assert.ok(
        !res.stdout.includes(masterKey) && !res.stdout.includes(Buffer.from(masterKey, "hex").toString("base64")),
      );
    });

    it("serves what the SQLite node held from a PostgreSQL node with the same master key, to the same principal", async () => {
      target = await Kluis.start({ args: ["--postgres", pgServer.url], env });
      assert.equal(target.info.tenantId, source.info.tenantId);
      const options = clientOptions(target);

      const secrets = new SecretClient(vaultUrl(VAULT), credentialFor(target, sp), options);
      assert.equal((await secrets.getSecret("moved")).value, "second");
      assert.equal((await secrets.getSecret("moved", { version: original.v1! })).value, "first");
      assert.equal((await secrets.getSecret("moved", { version: original.v2! })).value, "second");
      await assert.rejects(secrets.setSecret("gone", "again"), (e: any) => e.statusCode === 409);
      await (await secrets.beginRecoverDeletedSecret("gone")).pollUntilDone();
      assert.equal((await secrets.getSecret("gone")).value, "deleted before the move");
      // The copied audit log still verifies, the new node chaining its own entries beside it.
      const audit = await target.cliJson<{ ok: boolean; nodes: string[] }>(["monitor", "audit", "verify"]);
      assert.equal(audit.ok, true, JSON.stringify(audit));
      assert.equal(audit.nodes.length, 2);

      const keys = new KeyClient(vaultUrl(VAULT), credentialFor(target, sp), options);
      const key = await keys.getKey("signer");
      assert.deepEqual(key.key, original.key!.key);
      const data = Buffer.from("after the move");
      const signed = await new CryptographyClient(key, credentialFor(target, sp), options).sign(
        "RS256",
        createHash("sha256").update(data).digest(),
      );
      assert.ok(verify("sha256", data, publicKeyOf(key), signed.result));

      const certs = new CertificateClient(vaultUrl(VAULT), credentialFor(target, sp), options);
      const cert = await certs.getCertificate("movedcert");
      assert.deepEqual(Buffer.from(cert.cer!), Buffer.from(original.cert!.cer!));
      assert.equal(cert.properties.version, original.cert!.properties.version);
      assert.equal((await secrets.getSecret("movedcert")).value, original.pfx);
    });

    it("refuses to copy into a database that holds a store, and changes nothing", async () => {
      // The running node's own audit entries (of the test above, written in batches) may still land meanwhile.
      const rowsBefore = await rowsOf(postgresRows(pgServer.url), notAudit);
      assertOneLineError(
        await copyTo(source, source.dataDir),
        /^ERROR: the PostgreSQL database already holds a Kluis store/,
      );
      assert.deepEqual(await rowsOf(postgresRows(pgServer.url), notAudit), rowsBefore);
    });

    it("refuses a store holding text PostgreSQL cannot hold, naming its table, and copies nothing", async () => {
      // U+0000 in the principals' names, as a SQLite store written before both stores refused it may hold.
      const old = await Kluis.start();
      try {
        await old.stop();
        const db = new SqliteDatabase(join(old.dataDir, "kluis.db"));
        db.prepare("UPDATE principals SET display_name = ?").run("a\0b");
        db.close();
        await pgServer.query("CREATE DATABASE nulcopy");
        const url = pgServer.url.replace(/\/[^/?]*(\?|$)/, "/nulcopy$1");
        assertOneLineError(
          await old.cli(["server", "copy-store", "--data-dir", old.dataDir, "--to", url]),
          /^ERROR: table principals holds text with the character U\+0000 \(NUL\).*; nothing was copied/,
        );
        assert.deepEqual(await rowsOf(postgresRows(url), (t) => t === "principals" || t === "vaults"), {
          principals: [],
          vaults: [],
        });
      } finally {
        await old.dispose();
      }
    });

    it("refuses a data directory without a SQLite store", async () => {
      const empty = mkdtempSync(join(tmpdir(), "kluis-empty-"));
      try {
        assertOneLineError(await copyTo(source, empty), /^ERROR: No SQLite store at .*kluis\.db/);
      } finally {
        rmSync(empty, { recursive: true, force: true });
      }
    });
  },
);
