// The audit log's commits skip the fsync, and nothing else does. Observed with strace, attached for one step at a
// time: the fsync/fdatasync calls made on the SQLite WAL file while audit entries alone are committed (none), while
// an acknowledged write is (at least one, before its answer), and while both share one group commit (at least one).
// Then the server is killed outright right after an answer: the write it acknowledged is there after a restart,
// and so are the audit entries committed without an fsync (the kernel held them).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AuditLog, type AuditRecord } from "../src/audit/log.js";
import { Sealer } from "../src/crypto/sealing.js";
import { openStore } from "../src/store/open.js";
import type { Store } from "../src/store/store.js";
import { accessToken, rawRequest } from "./helpers/http.js";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";

const VAULT = "fsyncvault";
const HOST = `${VAULT}.localhost`;
const API = "api-version=7.5";

/**
 * Runs `step` with strace attached to process `pid` (every thread), and answers how many fsync/fdatasync calls were
 * made on `file` meanwhile. strace writes its last lines when it has detached (SIGTERM) or its process has died.
 */
async function syncsOn(pid: number, file: string, step: () => Promise<void>): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "kluis-strace-"));
  const out = join(dir, "trace");
  const strace = spawn("strace", ["-f", "-y", "-e", "trace=fsync,fdatasync", "-o", out, "-p", String(pid)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => strace.once("exit", resolve));
  let errors = "";
  await new Promise<void>((resolve, reject) => {
    strace.stderr.on("data", (d: Buffer) => {
      errors += d;
      if (errors.includes("attached")) resolve();
    });
    strace.once("exit", () => reject(new Error(`strace did not attach: ${errors}`)));
  });
  try {
    await step();
  } finally {
    strace.kill("SIGTERM"); // detaches; a no-op when the traced process is already gone
    await exited;
  }
  const lines = readFileSync(out, "utf8").split("\n");
  rmSync(dir, { recursive: true, force: true });
  return lines.filter((line) => /\bf(data)?sync\(\d+<([^>]*)>\)/.exec(line)?.[2] === file).length;
}

const auditRecord = (i: number): AuditRecord => ({
  vault: VAULT,
  caller: null,
  event: {
    time: new Date().toISOString(),
    resourceId: `/vaults/${VAULT}`,
    operationName: "SecretGet",
    operationVersion: "7.5",
    category: "AuditEvent",
    resultType: "Success",
    resultSignature: "OK",
    resultDescription: null,
    durationMs: 1,
    callerIpAddress: "127.0.0.1",
    correlationId: `fsync-${i}`,
    identity: null,
    properties: { id: null, clientInfo: null, httpStatusCode: 200 },
  },
});

describe("audit commits without fsync, in this process's store", () => {
  let dir: string;
  let store: Store;
  let audit: AuditLog;
  const wal = () => join(dir, "kluis.db-wal");
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "kluis-fsync-"));
    store = await openStore({ sqliteFile: join(dir, "kluis.db"), sealer: new Sealer(Buffer.alloc(32, 7)) });
    audit = await AuditLog.open(store, "node-fsync", (lost, err) => assert.fail(`${lost} entries lost: ${err}`));
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("fsyncs an acknowledged write's COMMIT, alone or sharing its group with audit entries, and no audit-only one", async () => {
    const written = await syncsOn(process.pid, wal(), () => store.settings.put("fsync-test", "a"));
    assert.ok(written >= 1, `a write outside any transaction: ${written} syncs`);

    const committed = await syncsOn(process.pid, wal(), () =>
      store.transaction((tx) => tx.settings.put("fsync-test", "b")),
    );
    assert.ok(committed >= 1, `a transaction: ${committed} syncs`);

    const auditOnly = await syncsOn(process.pid, wal(), async () => {
      for (let i = 0; i < 3; i++) {
        audit.record(auditRecord(i));
        await audit.flush();
      }
    });
    assert.equal(auditOnly, 0, "audit-only commits waited for the disk");
    assert.equal((await store.audit.list({ vault: VAULT, limit: 10 })).length, 3);

    // Queued in the same turn: one group, one COMMIT, which the write needs fsync'd.
    const mixed = await syncsOn(process.pid, wal(), async () => {
      audit.record(auditRecord(3));
      await Promise.all([audit.flush(), store.transaction((tx) => tx.settings.put("fsync-test", "c"))]);
    });
    assert.ok(mixed >= 1, `a group of audit entries and a write: ${mixed} syncs`);
    assert.equal(await store.settings.get("fsync-test"), "c");
    assert.equal((await store.audit.list({ vault: VAULT, limit: 10 })).length, 4);
  });
});

describe("audit commits without fsync, in the server", () => {
  let kluis: Kluis;
  let sp: ServicePrincipal;
  after(async () => kluis?.dispose());

  it("keeps a write acknowledged right before a SIGKILL, and the audit entries committed without an fsync", async () => {
    kluis = await Kluis.start();
    sp = await kluis.vaultWithPrincipal(VAULT, { secrets: ["get", "set"] });
    const token = await accessToken(kluis, sp);
    const put = (value: string) =>
      rawRequest(kluis, HOST, "PUT", `/secrets/s?${API}`, { token, body: JSON.stringify({ value }) });
    assert.equal((await put("first")).status, 200);
    const wal = join(kluis.dataDir, "kluis.db-wal");
    const pid = kluis.info.pid;

    const reads = 20;
    const readOnly = await syncsOn(pid, wal, async () => {
      for (let i = 0; i < reads; i++)
        assert.equal((await rawRequest(kluis, HOST, "GET", `/secrets/s?${API}`, { token })).status, 200);
      // The audit list flushes the server's queue first: every GET's entry is committed when it answers.
      const listed = await kluis.cliJson<{ operationName: string }[]>(["monitor", "audit", "list", "--vault", VAULT]);
      assert.equal(listed.filter((e) => e.operationName === "SecretGet").length, reads);
    });
    assert.equal(readOnly, 0, "the server's audit-only commits waited for the disk");

    let version = "";
    const acknowledged = await syncsOn(pid, wal, async () => {
      const res = await put("acknowledged");
      assert.equal(res.status, 200, JSON.stringify(res.body));
      version = String(res.body.id).split("/").pop()!;
      await kluis.stop("SIGKILL"); // at once: the answer is all the client knows
    });
    assert.ok(acknowledged >= 1, `the acknowledged write's COMMIT: ${acknowledged} syncs`);

    await kluis.restart();
    const got = await rawRequest(kluis, HOST, "GET", `/secrets/s/${version}?${API}`, {
      token: await accessToken(kluis, sp),
    });
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assert.equal(got.body.value, "acknowledged");
    const listed = await kluis.cliJson<{ operationName: string }[]>(["monitor", "audit", "list", "--vault", VAULT]);
    // The reads before the kill, and the one after the restart.
    assert.equal(listed.filter((e) => e.operationName === "SecretGet").length, reads + 1);
    assert.equal((await kluis.cliJson<{ ok: boolean }>(["monitor", "audit", "verify"])).ok, true);
  });
});
