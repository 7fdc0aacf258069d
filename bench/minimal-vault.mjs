// A second ceiling for the secret figures: the least a vault must do for a secret GET or PUT, written straight on
// Fastify over HTTPS (same TLS certificate as Kluis), so that the bench can tell the cost of that work, which any
// vault pays, from the cost of Kluis's own pipeline. Per request it does only this:
// - the bearer token: looked up in a map of verified tokens (as Kluis's cache does on a hit);
// - GET: Kluis's read of a secret's newest live version (same schema, same SQL, better-sqlite3; its row kept until the
//   next write, as Kluis keeps it), its value opened with AES-256-GCM under the row's context, the bundle as JSON;
// - PUT: the value sealed with AES-256-GCM, the name and version rows written in one transaction (WAL,
//   synchronous = NORMAL), answered once an fdatasync of the WAL that began after the COMMIT has returned (concurrent
//   COMMITs share one);
// - an audit entry: serialized, HMAC-chained, and written with the others in batches of 64 or every 50 ms.
// Left out, though Kluis must do them: the vault's lookup from the host name, authorization, api-version, throttling,
// metrics, Key Vault's error shapes and headers, a token's signature check on a miss, checkpoints off the event loop.
// Usage: node bench/minimal-vault.mjs CERT_PEM KEY_PEM DB_FILE TOKEN   (prints its port on stdout)
import { createCipheriv, createDecipheriv, createHmac, randomBytes, randomUUID } from "node:crypto";
import { fdatasync, openSync, readFileSync } from "node:fs";
import Database from "better-sqlite3";
import Fastify from "fastify";
import { secretEvent } from "./secret-event.mjs";

const [certFile, keyFile, dbFile, token] = process.argv.slice(2);
const VAULT = "default";

const db = new Database(dbFile);
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.pragma("temp_store = MEMORY");
// Kluis's tables and indexes (src/store/migrations.ts) for the rows these requests touch.
db.exec(`
  CREATE TABLE IF NOT EXISTS object_names (vault text not null, kind text not null, name_key text not null,
    name text not null, deleted_at bigint, scheduled_purge_at bigint, state text not null, sealed_state text,
    primary key (vault, kind, name_key));
  CREATE INDEX IF NOT EXISTS object_names_by_purge_date ON object_names (scheduled_purge_at);
  CREATE INDEX IF NOT EXISTS object_names_listing ON object_names (vault, kind, deleted_at, name_key);
  CREATE TABLE IF NOT EXISTS object_versions (vault text not null, kind text not null, name_key text not null,
    name text not null, version text not null, seq bigint not null, created_at bigint not null,
    updated_at bigint not null, attributes text not null, tags text not null, data text not null, sealed text,
    expires_at bigint, primary key (vault, kind, name_key, version));
  CREATE INDEX IF NOT EXISTS object_versions_by_seq ON object_versions (vault, kind, name_key, seq);
  CREATE INDEX IF NOT EXISTS object_versions_by_expiry ON object_versions (expires_at);
  CREATE TABLE IF NOT EXISTS audit_entries (node_id text not null, seq bigint not null, time bigint not null,
    vault text, caller text, operation_name text not null, entry text not null, prev_mac text not null,
    mac text not null, primary key (node_id, seq));
  CREATE INDEX IF NOT EXISTS audit_entries_by_time ON audit_entries (time);`);
const readLive = db.prepare(
  `select v.* from object_versions as v inner join object_names as n on n.vault = v.vault and n.kind = v.kind
   and n.name_key = v.name_key where v.vault = ? and v.kind = 'secret' and v.name_key = ? and n.deleted_at is null
   order by v.seq desc limit 1`,
);
const putName = db.prepare(
  `insert into object_names (vault, kind, name_key, name, state) values (?, 'secret', ?, ?, '{}') on conflict do nothing`,
);
const putVersion = db.prepare(
  `insert into object_versions (vault, kind, name_key, name, version, seq, created_at, updated_at, attributes, tags,
   data, sealed, expires_at) values (?, 'secret', ?, ?, ?, ?, ?, ?, '{"enabled":true}', '{}', '{}', ?, null)`,
);
let kept = new Map(); // name key -> row, until the next write
const readSecret = (nameKey) => {
  let row = kept.get(nameKey);
  if (row === undefined) kept.set(nameKey, (row = readLive.get(VAULT, nameKey) ?? null));
  return row;
};
const putSecret = db.transaction((name, version, now, sealed) => {
  kept = new Map();
  putName.run(VAULT, name.toLowerCase(), name);
  putVersion.run(VAULT, name.toLowerCase(), name, version, now * 1000, now, now, sealed);
});

const verified = new Map([[token.slice(-64), { token, objectId: randomUUID(), appId: randomUUID() }]]);
function callerOf(req) {
  const header = req.headers.authorization;
  if (!header?.startsWith("Bearer ")) return undefined;
  const presented = header.slice(7);
  const cached = verified.get(presented.slice(-64));
  return cached?.token === presented ? cached : undefined;
}

const key = randomBytes(32);
const context = (name, version) => `${VAULT}/secret/${name.toLowerCase()}/${version}`;
function seal(plain, aad) {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return `v1:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64")}`;
}
function open(sealed, aad) {
  const raw = Buffer.from(sealed.slice(3), "base64");
  const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12), { authTagLength: 16 });
  decipher.setAAD(Buffer.from(aad)).setAuthTag(raw.subarray(12, 28));
  const plain = decipher.update(raw.subarray(28));
  decipher.final();
  return plain;
}

// The audit log: Azure Monitor's AuditEvent as JSON, chained by an HMAC over the row and the previous row's HMAC.
const macKey = randomBytes(32);
const nodeId = randomUUID();
const insertAudit = db.prepare(`insert into audit_entries values (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
let queue = [];
let timer;
let seq = 0;
let mac = "0".repeat(64);
const writeAudit = db.transaction((entries) => {
  kept = new Map();
  for (const { time, caller, operation, entry } of entries) {
    const row = [nodeId, ++seq, time, VAULT, caller, operation, entry, mac];
    mac = createHmac("sha256", macKey).update(row.join(".")).digest("hex");
    insertAudit.run(...row, mac);
  }
});
function flushAudit() {
  clearTimeout(timer);
  timer = undefined;
  const entries = queue;
  queue = [];
  writeAudit(entries);
}
function audit(req, status, operation, caller) {
  const time = Date.now();
  const entry = JSON.stringify(
    secretEvent({
      time,
      operation,
      caller,
      ip: req.ip,
      correlationId: req.id,
      id: `https://${req.host}/secrets/${req.params.name}`,
      status,
    }),
  );
  queue.push({ time, caller: caller.objectId, operation, entry });
  // Kluis's batch size (src/audit/log.ts).
  if (queue.length >= 64) flushAudit();
  else timer ??= setTimeout(flushAudit, 50);
}

// Group commit: a waiter is released by the first fdatasync that starts after it asked; one runs at a time.
const wal = openSync(`${dbFile}-wal`, "r+");
let running;
let next;
function durable() {
  next ??= new Promise((resolve, reject) => {
    const start = () => {
      running = next;
      next = undefined;
      fdatasync(wal, (err) => {
        running = undefined;
        if (err) reject(err);
        else resolve();
      });
    };
    if (running) running.then(start, start);
    else queueMicrotask(start);
  });
  return next;
}

const bundle = (req, name, version, created, updated, value) =>
  JSON.stringify({
    value,
    id: `https://${req.host}/secrets/${name}/${version}`,
    attributes: {
      enabled: true,
      created: Math.floor(created / 1000),
      updated: Math.floor(updated / 1000),
      recoveryLevel: "Recoverable+Purgeable",
      recoverableDays: 90,
    },
    tags: {},
  });
const JSON_TYPE = "application/json; charset=utf-8";
const refused = (reply) => reply.code(401).send({ error: { code: "Unauthorized", message: "no token" } });

const app = Fastify({ https: { cert: readFileSync(certFile), key: readFileSync(keyFile) }, logger: false });
app.get("/secrets/:name", (req, reply) => {
  const caller = callerOf(req);
  if (!caller) return refused(reply);
  const v = readSecret(req.params.name.toLowerCase());
  if (!v) return reply.code(404).send({ error: { code: "SecretNotFound", message: "no such secret" } });
  const value = open(v.sealed, context(v.name, v.version)).toString("utf8");
  reply.type(JSON_TYPE).send(bundle(req, v.name, v.version, v.created_at, v.updated_at, value));
  audit(req, 200, "SecretGet", caller);
});
app.put("/secrets/:name", async (req, reply) => {
  const caller = callerOf(req);
  if (!caller) return refused(reply);
  const { name } = req.params;
  const { value } = req.body;
  const version = randomBytes(16).toString("hex");
  const now = Date.now();
  putSecret(name, version, now, seal(Buffer.from(value), context(name, version)));
  await durable();
  reply.type(JSON_TYPE).send(bundle(req, name, version, now, now, value));
  audit(req, 200, "SecretSet", caller);
});
await app.listen({ port: 0, host: "localhost" });
process.stdout.write(`${app.server.address().port}\n`);
process.on("SIGTERM", () => app.close().then(() => process.exit(0)));
