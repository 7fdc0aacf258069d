// The store's opened private keys (src/store/opened-keys.ts): a key version is opened once while its row holds the
// same envelope; soft delete and purge of the key or its vault drop it; secrets are opened on every read. Counted
// through the sealing counter of the metrics registry, against a real SQLite store.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { Sealer } from "../src/crypto/sealing.js";
import { registry } from "../src/metrics/instruments.js";
import { openStore } from "../src/store/open.js";
import type { ObjectKind } from "../src/store/repositories/objects.js";
import type { Store } from "../src/store/store.js";

const VAULT = "opened";
let dir: string;
let store: Store;
const sealer = new Sealer(randomBytes(32));

/** Values the sealer has opened in this process so far. */
async function opens(): Promise<number> {
  const metric = await registry.getSingleMetric("kluis_sealed_store_operations_total")!.get();
  return metric.values.find((v) => v.labels.operation === "open" && v.labels.result === "ok")?.value ?? 0;
}

async function put(kind: ObjectKind, name: string, sealed: Buffer): Promise<string> {
  await store.objects.putName({
    vault: VAULT,
    kind,
    name,
    deletedAt: null,
    scheduledPurgeAt: null,
    state: {},
    sealedState: null,
  });
  const version = randomBytes(16).toString("hex");
  await store.objects.putVersion({
    vault: VAULT,
    kind,
    name,
    version,
    createdAt: 1,
    updatedAt: 1,
    attributes: {},
    tags: {},
    data: {},
    sealed,
  });
  return version;
}

/** The version's opened bytes, and how many values the read opened. */
async function read(kind: ObjectKind, name: string, version: string): Promise<{ bytes: Buffer; opened: number }> {
  const before = await opens();
  const v = await store.objects.getLiveVersion(VAULT, kind, name, version);
  assert.ok(v?.sealed, `${kind} ${name} reads`);
  return { bytes: v.sealed, opened: (await opens()) - before };
}

const setDeleted = (kind: ObjectKind, name: string, deletedAt: number | null) =>
  store.objects.putName({ vault: VAULT, kind, name, deletedAt, scheduledPurgeAt: null, state: {}, sealedState: null });

/** The version's row as stored, for writing it back exactly (same envelope) after a purge. */
function rowOf(name: string, version: string): Record<string, unknown> {
  const db = new Database(join(dir, "kluis.db"));
  try {
    return db.prepare("SELECT * FROM object_versions WHERE name_key = ? AND version = ?").get(name, version) as Record<
      string,
      unknown
    >;
  } finally {
    db.close();
  }
}

/**
 * Writes a row behind the store's back, as another node sharing its database would; then any write through the
 * store, so that it reads the row again (on SQLite it keeps its hot reads until its own next write: read-cache.ts).
 */
async function writeRow(row: Record<string, unknown>, changes: Record<string, unknown> = {}): Promise<void> {
  const db = new Database(join(dir, "kluis.db"));
  try {
    const values = { ...row, ...changes };
    const columns = Object.keys(values);
    db.prepare(
      `INSERT OR REPLACE INTO object_versions (${columns.join(", ")}) VALUES (${columns.map((c) => `@${c}`).join(", ")})`,
    ).run(values);
  } finally {
    db.close();
  }
  await store.settings.put("opened-keys-test", "a write through the store");
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "kluis-opened-"));
  store = await openStore({ sqliteFile: join(dir, "kluis.db"), sealer });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("opened keys", () => {
  it("opens a key version once and hands out the same bytes while its row is unchanged", async () => {
    const material = randomBytes(40);
    const version = await put("key", "k1", material);
    const first = await read("key", "k1", version);
    assert.deepEqual(first.bytes, material);
    const second = await read("key", "k1", version);
    assert.equal(second.opened, 0);
    assert.equal(second.bytes, first.bytes, "the same Buffer: the parsed KeyObject is keyed by it");
  });

  it("opens a secret on every read", async () => {
    const version = await put("secret", "s1", randomBytes(40));
    await read("secret", "s1", version);
    assert.equal((await read("secret", "s1", version)).opened, 1);
  });

  it("opens again once the row holds another envelope, and refuses one moved from another row", async () => {
    const version = await put("key", "k2", randomBytes(40));
    const other = await put("key", "k3", randomBytes(40));
    const cached = await read("key", "k2", version);
    // Written by another node, say: the same version under a new envelope (putVersion keeps a version's material).
    const replaced = randomBytes(40);
    await writeRow(rowOf("k2", version), { sealed: sealer.seal(replaced, `version/${VAULT}/key/k2/${version}`) });
    const fresh = await read("key", "k2", version);
    assert.equal(fresh.opened, 1);
    assert.deepEqual(fresh.bytes, replaced);
    assert.notDeepEqual(fresh.bytes, cached.bytes);
    // k3's envelope written into k2's row: sealed for another context, so it must not open (cached or not).
    await read("key", "k3", other);
    await writeRow(rowOf("k2", version), { sealed: rowOf("k3", other).sealed });
    await assert.rejects(store.objects.getLiveVersion(VAULT, "key", "k2", version), /does not open/);
  });

  it("drops a key's opened versions when it is soft-deleted or purged", async () => {
    const version = await put("key", "k4", randomBytes(40));
    await read("key", "k4", version);
    await setDeleted("key", "k4", Date.now());
    await setDeleted("key", "k4", null); // recovered: the row and its envelope are as they were
    assert.equal((await read("key", "k4", version)).opened, 1);
    const row = rowOf("k4", version);
    await store.objects.purgeName(VAULT, "key", "K4"); // names are case-insensitive
    await put("key", "k4", randomBytes(40));
    await writeRow(row); // the very envelope it had before the purge
    assert.equal((await read("key", "k4", version)).opened, 1);
  });

  it("drops a vault's opened keys when the vault is soft-deleted or purged", async () => {
    const version = await put("key", "k5", randomBytes(40));
    await read("key", "k5", version);
    await store.vaults.setDeleted(VAULT, Date.now(), Date.now() + 1000);
    assert.equal((await read("key", "k5", version)).opened, 1);
    const row = rowOf("k5", version);
    await store.vaults.delete(VAULT);
    await put("key", "k5", randomBytes(40));
    await writeRow(row);
    assert.equal((await read("key", "k5", version)).opened, 1);
  });
});
