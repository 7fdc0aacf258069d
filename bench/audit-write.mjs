// CPU the audit log's write path costs an entry (serialization, HMAC, INSERT, COMMIT), without HTTP around it: for each
// build in turn, records entries into a fresh SQLite store as a busy server does (several an event-loop turn, flushed
// in its batches) and reads the process's CPU time (user + system) around them. Each build runs in its own process.
// Usage: node bench/audit-write.mjs [--base OTHER] [--entries 50000] [--rounds 3]
//   (OTHER: a checkout or copy whose dist/ holds another build; this build is this repository's dist/)
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setImmediate as nextTurn } from "node:timers/promises";
import { secretEvent } from "./secret-event.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const arg = (flag, fallback) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const ENTRIES = Number(arg("--entries", "50000"));
const ROUNDS = Number(arg("--rounds", "3"));
/** Entries recorded between two turns of the event loop (a server answering 16 connections). */
const PER_TURN = 16;

const OBJECT_ID = "22222222-2222-2222-2222-222222222222";

/** A served SecretGet's entry. */
const secretGet = (i, time) =>
  secretEvent({
    time,
    operation: "SecretGet",
    caller: { appId: "11111111-1111-1111-1111-111111111111", objectId: OBJECT_ID },
    ip: "127.0.0.1",
    correlationId: `bench-${i}`,
    id: "https://default.localhost:8443/secrets/bench",
    clientInfo: "autocannon",
    status: 200,
  });

if (process.argv[2] === "--measure") {
  console.log(await measure(process.argv[3]));
} else {
  const builds = [
    ...(arg("--base") ? [{ label: "base", root: resolve(arg("--base")) }] : []),
    { label: "this", root: join(here, "..") },
  ];
  const results = new Map(builds.map((b) => [b.label, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const b of builds) {
      const out = execFileSync(process.execPath, [
        fileURLToPath(import.meta.url),
        "--measure",
        b.root,
        ...process.argv.slice(2),
      ]);
      results.get(b.label).push(Number(out.toString()));
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const first = median(results.get(builds[0].label));
  console.log(
    `audit write path, ${ENTRIES} entries x ${ROUNDS} rounds; load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  for (const b of builds) {
    const xs = results.get(b.label);
    console.log(
      `${b.label.padEnd(6)} ${median(xs).toFixed(2)} µs CPU/entry  (rounds: ${xs.map((x) => x.toFixed(1)).join(" ")})` +
        (b === builds[0] ? "" : `  ratio to ${builds[0].label}: ${(median(xs) / first).toFixed(3)}`),
    );
  }
}

/** µs of CPU an entry, for the build whose dist/ is under `root`. */
async function measure(root) {
  const { openStore } = await import(join(root, "dist/store/open.js"));
  const { Sealer } = await import(join(root, "dist/crypto/sealing.js"));
  const { AuditLog } = await import(join(root, "dist/audit/log.js"));
  const dir = mkdtempSync(join(os.tmpdir(), "kluis-audit-write-"));
  const store = await openStore({ sqliteFile: join(dir, "kluis.db"), sealer: new Sealer(Buffer.alloc(32, 3)) });
  const log = await AuditLog.open(store, "bench-node", (lost, err) => {
    throw new Error(`${lost} entries lost: ${err}`);
  });
  const record = async (n) => {
    for (let i = 0; i < n; i++) {
      const time = Date.now();
      log.record({ event: secretGet(i, time), time, vault: "default", caller: OBJECT_ID });
      if (i % PER_TURN === PER_TURN - 1) await nextTurn();
    }
    await log.flush();
  };
  await record(5000); // warm-up: V8's optimizing compiler, SQLite's statements
  const before = process.cpuUsage();
  await record(ENTRIES);
  const used = process.cpuUsage(before);
  await store.close();
  rmSync(dir, { recursive: true });
  return (used.user + used.system) / ENTRIES;
}
