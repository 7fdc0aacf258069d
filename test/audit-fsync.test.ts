// What waits for the disk, and where: the audit log's commits do not; a transaction's commit, and a write outside
// any transaction, do, through the store's own descriptor of the WAL on a libuv pool thread (not the event loop's);
// WAL checkpoints happen on a worker thread. Observed with strace, attached for one step at a time: the
// fsync/fdatasync calls each thread makes on the SQLite files while audit entries alone are committed (none), while a
// write outside a transaction or an acknowledged write is (at least one through the store's descriptor, none on the
// event loop's thread), while both share one group commit (likewise), and while the WAL passes SQLite's checkpoint
// size (none on the event loop's thread, some on another). Then the server is killed outright right after an answer:
// the write it acknowledged is there after a restart, and so are the audit entries committed without an fsync (the
// kernel held them). Last, an fsync made to fail: a read of the write it covered is not answered with it.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { AuditLog, type AuditRecord } from "../src/audit/log.js";
import { Sealer } from "../src/crypto/sealing.js";
import { openStore } from "../src/store/open.js";
import type { Store } from "../src/store/store.js";
import { accessToken, rawRequest } from "./helpers/http.js";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";

const VAULT = "fsyncvault";
const HOST = `${VAULT}.localhost`;
const API = "api-version=7.5";

/** An fsync or fdatasync call: the thread that made it, the descriptor and file it synced, and whether it synced a WAL's header. */
interface Sync {
  thread: number;
  fd: number;
  file: string;
  header: boolean;
}

/**
 * Runs `step` with strace attached to process `pid` (every thread), and answers the fsync/fdatasync calls made
 * meanwhile; `step` may look at those made so far (strace writes each call's line as it returns). The writes are
 * traced too, to tell the WAL header's sync, which SQLite makes whenever the WAL starts over (a 32-byte write at
 * offset 0, then a sync), from the syncs of COMMITs and checkpoints. `inject` adds strace options that tamper with
 * the calls (strace prints a call before it delays its return).
 */
async function syncsDuring(
  pid: number,
  step: (soFar: () => Sync[]) => Promise<void>,
  inject: string[] = [],
): Promise<Sync[]> {
  const dir = mkdtempSync(join(tmpdir(), "kluis-strace-"));
  const out = join(dir, "trace");
  const args = ["-f", "-y", "-s", "0", "-e", "trace=fsync,fdatasync,pwrite64", ...inject, "-o", out, "-p", String(pid)];
  const strace = spawn("strace", args, { stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise<number | null>((resolve) => strace.once("exit", resolve));
  let errors = "";
  await new Promise<void>((resolve, reject) => {
    strace.stderr.on("data", (d: Buffer) => {
      errors += d;
      if (errors.includes("attached")) resolve();
    });
    strace.once("exit", () =>
      reject(new Error(`strace did not attach (it needs ptrace: root, or kernel.yama.ptrace_scope 0): ${errors}`)),
    );
  });
  const soFar = () => {
    const syncs: Sync[] = [];
    const headerWritten = new Set<string>(); // thread and file whose last traced call wrote a WAL header
    for (const line of readFileSync(out, "utf8").split("\n")) {
      const call = /^(\d+)\s+(f(?:data)?sync|pwrite64)\((\d+)<([^>]*)>(?:.*, (\d+), (\d+)\))?/.exec(line);
      if (!call) continue;
      const [, thread, name, fd, file, size, offset] = call;
      const key = `${thread} ${file}`;
      if (name === "pwrite64") {
        if (size === "32" && offset === "0") headerWritten.add(key);
        else headerWritten.delete(key);
        continue;
      }
      syncs.push({ thread: Number(thread), fd: Number(fd), file: file!, header: headerWritten.delete(key) });
    }
    return syncs;
  };
  try {
    await step(soFar);
    strace.kill("SIGTERM"); // detaches; a no-op when the traced process is already gone
    await exited;
    return soFar();
  } finally {
    strace.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

/** How many of `syncs` the event loop's thread made (better-sqlite3 runs SQLite on it) on `file`, but for WAL headers. */
const onEventLoop = (syncs: Sync[], pid: number, file: string) =>
  syncs.filter((sync) => sync.thread === pid && sync.file === file && !sync.header).length;

/** The descriptors process `pid` holds open read-only on `file`: the store's own (wal-sync.ts); SQLite's are read-write. */
function readOnlyDescriptors(pid: number, file: string): Set<number> {
  const fds = new Set<number>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    if (target !== file) continue;
    const flags = /^flags:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8"))![1]!;
    if ((parseInt(flags, 8) & 3) === 0) fds.add(Number(fd)); // O_RDONLY
  }
  return fds;
}

/** How many of `syncs` synced `file` through `fds` on another thread than the event loop's (libuv's pool). */
const offEventLoop = (syncs: Sync[], pid: number, file: string, fds: Set<number>) =>
  syncs.filter((sync) => sync.thread !== pid && sync.file === file && fds.has(sync.fd)).length;

const auditRecord = (i: number, time = Date.now()): AuditRecord => ({
  vault: VAULT,
  caller: null,
  time,
  event: {
    time: new Date(time).toISOString(),
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

/** Waits (up to a minute) for `done`, looking again every 20 ms. */
async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; !done(); i++) {
    if (i > 3000) assert.fail(`gave up waiting for ${what}`);
    await sleep(20);
  }
}

describe("commits and checkpoints in this process's store", () => {
  const pid = process.pid;
  let dir: string;
  let store: Store;
  let audit: AuditLog;
  let entries = 0;
  const wal = () => join(dir, "kluis.db-wal");
  const db = () => join(dir, "kluis.db");
  /** Queues `n` audit entries, written as the server's would be. */
  const record = (n: number) => {
    for (let i = 0; i < n; i++) audit.record(auditRecord(entries++));
  };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "kluis-fsync-"));
    store = await openStore({ sqliteFile: db(), sealer: new Sealer(Buffer.alloc(32, 7)) });
    audit = await AuditLog.open(store, "node-fsync", (lost, err) => assert.fail(`${lost} entries lost: ${err}`));
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("fsyncs an acknowledged write's COMMIT off the event loop, alone or with audit entries, and no audit-only one", async () => {
    // A write outside any transaction commits on its own; what answers after it waits for its fsync.
    const written = await syncsDuring(pid, async () => {
      await store.settings.put("fsync-test", "a");
      assert.ok(store.durable(), "nothing waits for the fsync of a write outside any transaction");
      await store.durable();
    });
    const own = readOnlyDescriptors(pid, wal()); // opened by that first fsync
    assert.equal(own.size, 1, "the store does not hold one descriptor of its own on the WAL");
    assert.ok(offEventLoop(written, pid, wal(), own) >= 1, "a write outside any transaction was not fsync'd");
    assert.equal(onEventLoop(written, pid, wal()), 0, "a write outside any transaction was fsync'd on the event loop");
    assert.equal(store.durable(), undefined, "an fsync is still awaited after it returned");

    const committed = await syncsDuring(pid, () => store.transaction((tx) => tx.settings.put("fsync-test", "b")));
    assert.ok(offEventLoop(committed, pid, wal(), own) >= 1, "a transaction was not fsync'd off the event loop");
    assert.equal(onEventLoop(committed, pid, wal()), 0, "a transaction's fsync waited on the event loop");

    const auditOnly = await syncsDuring(pid, async () => {
      for (let i = 0; i < 3; i++) {
        record(1);
        await audit.flush();
      }
    });
    assert.equal(onEventLoop(auditOnly, pid, wal()), 0, "audit-only commits waited for the disk");
    assert.equal(offEventLoop(auditOnly, pid, wal(), own), 0, "audit-only commits were fsync'd");
    assert.equal((await store.audit.list({ vault: VAULT, limit: 10 })).length, 3);

    // Queued in the same turn: one group, one COMMIT, which the write needs fsync'd.
    const mixed = await syncsDuring(pid, async () => {
      record(1);
      await Promise.all([audit.flush(), store.transaction((tx) => tx.settings.put("fsync-test", "c"))]);
    });
    assert.ok(offEventLoop(mixed, pid, wal(), own) >= 1, "a group of audit entries and a write was not fsync'd");
    assert.equal(onEventLoop(mixed, pid, wal()), 0, "a group's fsync waited on the event loop");
    assert.equal(await store.settings.get("fsync-test"), "c");
    assert.equal((await store.audit.list({ vault: VAULT, limit: 10 })).length, 4);
  });

  it("checkpoints the WAL on a worker thread, past SQLite's 1000 pages too", async () => {
    const syncs = await syncsDuring(pid, async (soFar) => {
      const byWorker = () => soFar().filter((sync) => sync.thread !== pid && sync.file === db()).length;
      // The worker starts a moment after the store opens; its first checkpoint shows it runs.
      record(1);
      await audit.flush();
      await until("the worker's first checkpoint", () => byWorker() > 0);
      const before = byWorker();
      // About 6 MB of entries (1,500 WAL pages), in the server's batches: SQLite alone would checkpoint in a COMMIT.
      for (let i = 0; i < 24; i++) {
        record(256);
        await audit.flush();
      }
      await until("a checkpoint of those entries", () => byWorker() > before);
    });
    assert.equal(onEventLoop(syncs, pid, wal()), 0, "the event loop's thread synced the WAL");
    assert.equal(onEventLoop(syncs, pid, db()), 0, "the event loop's thread checkpointed");
    assert.equal((await store.audit.list({ vault: VAULT, limit: 10_000 })).length, entries);
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
    const readOnly = await syncsDuring(pid, async () => {
      for (let i = 0; i < reads; i++)
        assert.equal((await rawRequest(kluis, HOST, "GET", `/secrets/s?${API}`, { token })).status, 200);
      // The audit list flushes the server's queue first: every GET's entry is committed when it answers.
      const listed = await kluis.cliJson<{ operationName: string }[]>(["monitor", "audit", "list", "--vault", VAULT]);
      assert.equal(listed.filter((e) => e.operationName === "SecretGet").length, reads);
    });
    assert.equal(onEventLoop(readOnly, pid, wal), 0, "the server's audit-only commits waited for the disk");
    const own = readOnlyDescriptors(pid, wal); // opened for the first PUT's fsync
    assert.equal(own.size, 1, "the server does not hold one descriptor of its own on the WAL");
    assert.equal(offEventLoop(readOnly, pid, wal, own), 0, "the server's audit-only commits were fsync'd");

    let version = "";
    const acknowledged = await syncsDuring(pid, async () => {
      const res = await put("acknowledged");
      assert.equal(res.status, 200, JSON.stringify(res.body));
      version = String(res.body.id).split("/").pop()!;
      await kluis.stop("SIGKILL"); // at once: the answer is all the client knows
    });
    assert.ok(offEventLoop(acknowledged, pid, wal, own) >= 1, "the acknowledged write's COMMIT was not fsync'd");
    assert.equal(onEventLoop(acknowledged, pid, wal), 0, "the acknowledged write's fsync waited on the event loop");

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

describe("answers wait for the fsync of what they show", () => {
  let kluis: Kluis;
  after(async () => kluis?.dispose());

  it("does not answer a read of a write whose fsync then fails, nor anything after", async () => {
    kluis = await Kluis.start();
    const sp = await kluis.vaultWithPrincipal(VAULT, { secrets: ["get", "set"] });
    const token = await accessToken(kluis, sp);
    const put = (value: string) =>
      rawRequest(kluis, HOST, "PUT", `/secrets/s?${API}`, { token, body: JSON.stringify({ value }) });
    const get = () => rawRequest(kluis, HOST, "GET", `/secrets/s?${API}`, { token });
    assert.equal((await put("durable")).status, 200);
    const wal = join(kluis.dataDir, "kluis.db-wal");
    const pid = kluis.info.pid;
    const own = readOnlyDescriptors(pid, wal);

    // The store's fsyncs fail, a second after the kernel returned: the write is committed, and readable, meanwhile.
    const inject = ["-e", "inject=fdatasync:error=EIO:delay_exit=1000000"];
    await syncsDuring(
      pid,
      async (soFar) => {
        const putting = put("undone");
        await until("the PUT's fsync", () => offEventLoop(soFar(), pid, wal, own) > 0);
        const read = await get();
        assert.equal(read.status, 500, JSON.stringify(read.body));
        assert.equal(read.body.error.code, "InternalServerError", JSON.stringify(read.body));
        assert.doesNotMatch(JSON.stringify(read.body), /undone/);
        assert.equal((await putting).status, 500);
        // The disk may have lost any write since the last fsync that succeeded: nothing is shown any more.
        assert.equal((await get()).status, 500);
      },
      inject,
    );
    await kluis.stop("SIGKILL");
    await kluis.restart();
    const got = await rawRequest(kluis, HOST, "GET", `/secrets/s?${API}`, { token: await accessToken(kluis, sp) });
    assert.equal(got.status, 200, JSON.stringify(got.body));
  });
});
