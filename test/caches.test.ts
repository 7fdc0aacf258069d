// The hot-path caches behind issue 7 (benchmarks): verified tokens, vault records, the RSA key pool. No timing is
// asserted; where expiry matters, Date is a mock clock moved by hand.
import assert from "node:assert/strict";
import { createPublicKey, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, it, mock } from "node:test";
import { generateKeyPair, KeyPool } from "../src/crypto/key-pool.js";
import { Sealer } from "../src/crypto/sealing.js";
import { MANAGEMENT_AUDIENCE, TOKEN_LIFETIME_SECONDS, TokenService, VAULT_AUDIENCE } from "../src/identity/tokens.js";
import { openStore } from "../src/store/open.js";
import { ReadCache } from "../src/store/read-cache.js";
import { SqliteDatabase } from "../src/store/sqlite.js";
import type { Store } from "../src/store/store.js";
import { cachedVault, VAULT_CACHE_TTL_MS } from "../src/vaults/cache.js";
import { createOrUpdateVault, deleteVault, updateAccessPolicy } from "../src/vaults/operations.js";

const publicDer = (key: Parameters<typeof createPublicKey>[0]) =>
  createPublicKey(key).export({ type: "spki", format: "der" }).toString("base64");

describe("hot-path caches", () => {
  let dir: string;
  let store: Store;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "kluis-caches-"));
    store = await openStore({ sqliteFile: join(dir, "kluis.db"), sealer: new Sealer(randomBytes(32)) });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => mock.timers.reset());

  it("a verified token is served from the cache for its own audience only, and not past its expiry", async () => {
    const tokens = await TokenService.open(store);
    const principal = {
      objectId: randomUUID(),
      appId: randomUUID(),
      displayName: "p",
      secretHash: "",
      isAdmin: false,
      createdAt: Date.now(),
      credentialGeneration: 0,
    };
    await store.principals.insert(principal); // a token's principal must exist for it to verify
    mock.timers.enable({ apis: ["Date"], now: Date.now() });
    const token = await tokens.issue(principal, VAULT_AUDIENCE);
    const first = await tokens.verify(token, VAULT_AUDIENCE);
    assert.deepEqual(await tokens.verify(token, VAULT_AUDIENCE), first);
    assert.equal(first.objectId, principal.objectId);
    await assert.rejects(tokens.verify(token, MANAGEMENT_AUDIENCE), { code: "ERR_JWT_CLAIM_VALIDATION_FAILED" });
    // Still inside the 60 s clock tolerance after `exp`: accepted, as jose accepts it.
    mock.timers.tick((TOKEN_LIFETIME_SECONDS + 30) * 1000);
    assert.deepEqual(await tokens.verify(token, VAULT_AUDIENCE), first);
    mock.timers.tick(60 * 1000);
    await assert.rejects(tokens.verify(token, VAULT_AUDIENCE), { code: "ERR_JWT_EXPIRED" });
  });

  it("a vault write through the vault operations is seen at once; a write behind the cache's back within the TTL", async () => {
    const tenant = randomUUID();
    const a = { tenantId: tenant, objectId: randomUUID(), permissions: { secrets: ["get"] } };
    const b = { tenantId: tenant, objectId: randomUUID(), permissions: { keys: ["sign"] } };
    await createOrUpdateVault(store, tenant, "rg", "cachevault", { properties: { accessPolicies: [a] } });
    mock.timers.enable({ apis: ["Date"], now: Date.now() });
    assert.deepEqual(
      (await cachedVault(store, "cachevault"))!.properties.accessPolicies.map((p) => p.objectId),
      [a.objectId],
    );

    await updateAccessPolicy(store, "cachevault", "add", [b]);
    assert.deepEqual(
      (await cachedVault(store, "cachevault"))!.properties.accessPolicies.map((p) => p.objectId),
      [a.objectId, b.objectId],
    );

    // Another node sharing the database changes the vault: this node sees it once the TTL has passed.
    const current = (await cachedVault(store, "cachevault"))!;
    await store.vaults.put({ ...current, properties: { ...current.properties, accessPolicies: [a] } });
    mock.timers.tick(VAULT_CACHE_TTL_MS + 1);
    assert.deepEqual(
      (await cachedVault(store, "cachevault"))!.properties.accessPolicies.map((p) => p.objectId),
      [a.objectId],
    );

    await deleteVault(store, "cachevault");
    assert.equal(await cachedVault(store, "cachevault"), undefined);
  });

  it("a hot read is kept until the store's next write, whatever it touches; a write rolled back ends it too", async () => {
    const vault = "readcache";
    const name = (deletedAt: number | null) =>
      store.objects.putName({
        vault,
        kind: "secret",
        name: "hot",
        deletedAt,
        scheduledPurgeAt: null,
        state: {},
        sealedState: null,
      });
    const record = (id: string, enabled: boolean, seq: number) => ({
      vault,
      kind: "secret" as const,
      name: "hot",
      version: id,
      seq,
      createdAt: 1,
      updatedAt: 1,
      attributes: { enabled },
      tags: {},
      data: {},
      sealed: Buffer.from(id),
    });
    const version = (id: string, enabled: boolean, seq: number) => store.objects.putVersion(record(id, enabled, seq));
    const live = async () => {
      const v = await store.objects.getLiveVersion<{ enabled: boolean }, object>(vault, "secret", "hot");
      return v && `${v.sealed!.toString()} ${v.attributes.enabled}`;
    };
    await name(null);
    await version("v1", true, 1);
    assert.equal(await live(), "v1 true");

    // Another connection changes the row behind the store's back (no server lets one: server/lock.ts): the kept row
    // still answers, which shows the read was kept...
    const other = new SqliteDatabase(join(dir, "kluis.db"));
    other.prepare(`update object_versions set attributes = '{"enabled":false}' where vault = ?`).run(vault);
    other.close();
    assert.equal(await live(), "v1 true");
    // ...until the store writes anything at all.
    await store.settings.put("read-cache-test", "any write");
    assert.equal(await live(), "v1 false");

    await version("v2", true, 2);
    assert.equal(await live(), "v2 true");
    await name(Date.now()); // deleted
    assert.equal(await live(), undefined);
    await name(null); // recovered
    assert.equal(await live(), "v2 true");
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.objects.putVersion(record("v3", false, 3));
        throw new Error("rolled back");
      }),
      /rolled back/,
    );
    assert.equal(await live(), "v2 true");
    await store.objects.purgeName(vault, "secret", "hot");
    assert.equal(await live(), undefined);
  });

  it("the read cache keeps a bounded number of results and of characters, the oldest dropped first, frozen", () => {
    const reads = new ReadCache();
    const keys = Array.from({ length: 1001 }, (_, i) => reads.keyOf("select ?", [`name-${i}`]));
    assert.notEqual(reads.keyOf("select ?", ["a", "b"]), reads.keyOf("select ?", ["a,b"]));
    assert.notEqual(reads.keyOf("select ?", ["a"]), reads.keyOf("select ? -- another query", ["a"]));
    keys.forEach((key, i) => reads.keep(key, [{ i }]));
    assert.equal(reads.get(keys[0]!), undefined);
    assert.deepEqual(reads.get(keys[1]!), [{ i: 1 }]);
    assert.ok(Object.isFrozen(reads.get(keys[1000]!)) && Object.isFrozen(reads.get(keys[1000]!)![0]));
    reads.clear();
    assert.equal(reads.get(keys[1000]!), undefined);
    // A megabyte of text a row (a certificate's, say): 8 MiB of it kept at most; a result larger than that never.
    const big = Array.from({ length: 9 }, (_, i) => reads.keyOf("select ?", [`big-${i}`]));
    big.forEach((key) => reads.keep(key, [{ text: "x".repeat(1024 * 1024) }]));
    assert.equal(reads.get(big[0]!), undefined);
    assert.equal(big.filter((key) => reads.get(key)).length, 8);
    reads.keep(keys[0]!, [{ text: "x".repeat(8 * 1024 * 1024 + 1) }]);
    assert.equal(reads.get(keys[0]!), undefined);
    assert.equal(big.filter((key) => reads.get(key)).length, 8);
  });

  it("the key pool hands out each key once, and generates on demand when empty", async () => {
    const pool = new KeyPool(2);
    const keys = [await pool.take(), await pool.take(), await pool.take(), await pool.take()];
    assert.equal(new Set(keys.map(publicDer)).size, keys.length);
    for (const key of keys) assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
  });

  it("only RSA-2048 comes from the pool; other sizes and curves are generated as asked", async () => {
    const ec = await generateKeyPair({ kty: "EC", crv: "P-384" });
    assert.equal(ec.asymmetricKeyDetails?.namedCurve, "secp384r1");
    const rsa = await generateKeyPair({ kty: "RSA", keySize: 3072 });
    assert.equal(rsa.asymmetricKeyDetails?.modulusLength, 3072);
  });
});
