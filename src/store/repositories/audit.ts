// The audit_entries table: the chained audit log (audit/log.ts writes it, audit/chain.ts verifies and prunes it).
import { createSecretKey, type KeyObject } from "node:crypto";
import type { Kysely } from "kysely";
import type { Sealer } from "../../crypto/sealing.js";
import { PreparedQuery, type Executor } from "../executor.js";
import type { Database } from "../schema.js";

/** A row of the audit log (audit/log.ts), as stored. */
export interface AuditRow {
  nodeId: string;
  seq: number;
  time: number;
  vault: string | null;
  caller: string | null;
  operationName: string;
  /** The AuditEvent, as JSON. */
  entry: string;
  prevMac: string;
  mac: string;
}

export interface AuditFilter {
  vault?: string;
  caller?: string;
  operationName?: string;
  /** Entries at or after this time (ms). */
  since?: number;
  limit: number;
}

const AUDIT_KEY_LABEL = "kluis audit chain v1";

/** The columns of a row, in the order an INSERT binds them. */
const COLUMNS = ["node_id", "seq", "time", "vault", "caller", "operation_name", "entry", "prev_mac", "mac"] as const;
/** Rows per INSERT at most; a batch is written as chunks of this size and powers of two below it. */
const MAX_CHUNK = 64;

/**
 * The INSERT of n rows, compiled once per n (per database: the SQL differs between dialects). Compiling a batch's
 * INSERT anew cost more than writing its rows, and each new row count was a new statement for SQLite to prepare;
 * chunks of a few fixed sizes make a handful of statements that stay prepared.
 */
export class AuditInserts {
  private readonly compiled = new Map<number, PreparedQuery<unknown>>();

  constructor(private readonly db: Kysely<Database>) {}

  of(rows: number): PreparedQuery<unknown> {
    let query = this.compiled.get(rows);
    if (!query) {
      const placeholder = Object.fromEntries(COLUMNS.map((c) => [c, ""])) as unknown as Database["audit_entries"];
      query = new PreparedQuery(this.db.insertInto("audit_entries").values(Array(rows).fill(placeholder)));
      this.compiled.set(rows, query);
    }
    return query;
  }
}

/** The largest chunk for `remaining` rows: MAX_CHUNK, or the largest power of two below it. */
const chunkSize = (remaining: number) => (remaining >= MAX_CHUNK ? MAX_CHUNK : 2 ** Math.floor(Math.log2(remaining)));

export class AuditRepository {
  constructor(
    private readonly db: Executor,
    private readonly sealer: Sealer,
    private readonly inserts: AuditInserts,
  ) {}

  /** The audit chain's HMAC key, derived from the master key: whoever edits the table without it cannot re-chain it. */
  macKey(): KeyObject {
    return createSecretKey(this.sealer.derivedKey(AUDIT_KEY_LABEL));
  }

  /** Writes rows in several INSERTs: run it in a transaction, so that a batch is written whole or not at all. */
  async append(rows: readonly AuditRow[]): Promise<void> {
    for (let i = 0; i < rows.length;) {
      const n = chunkSize(rows.length - i);
      const values: unknown[] = [];
      for (let j = i; j < i + n; j++) {
        const r = rows[j]!;
        values.push(r.nodeId, r.seq, r.time, r.vault, r.caller, r.operationName, r.entry, r.prevMac, r.mac); // COLUMNS' order
      }
      await this.db.executeQuery(this.inserts.of(n).bind(values));
      i += n;
    }
  }

  /** The newest entry a node wrote: its chain goes on from there after a restart. */
  async last(nodeId: string): Promise<AuditRow | undefined> {
    const row = await this.db
      .selectFrom("audit_entries")
      .selectAll()
      .where("node_id", "=", nodeId)
      .orderBy("seq", "desc")
      .limit(1)
      .executeTakeFirst();
    return row && toAuditRow(row);
  }

  /** The newest entries first, filtered. */
  async list(f: AuditFilter): Promise<AuditRow[]> {
    let q = this.db.selectFrom("audit_entries").selectAll();
    if (f.vault !== undefined) q = q.where("vault", "=", f.vault.toLowerCase());
    if (f.caller !== undefined) q = q.where("caller", "=", f.caller);
    if (f.operationName !== undefined) q = q.where("operation_name", "=", f.operationName);
    if (f.since !== undefined) q = q.where("time", ">=", f.since);
    const rows = await q.orderBy("time", "desc").orderBy("node_id").orderBy("seq", "desc").limit(f.limit).execute();
    return rows.map(toAuditRow);
  }

  /** Every entry in chain order (node, then seq), a page after `after` at a time. */
  async chainPage(after: { nodeId: string; seq: number } | undefined, limit: number): Promise<AuditRow[]> {
    let q = this.db.selectFrom("audit_entries").selectAll();
    if (after)
      q = q.where((eb) =>
        eb.or([
          eb("node_id", ">", after.nodeId),
          eb.and([eb("node_id", "=", after.nodeId), eb("seq", ">", after.seq)]),
        ]),
      );
    const rows = await q.orderBy("node_id").orderBy("seq").limit(limit).execute();
    return rows.map(toAuditRow);
  }

  /** Per node, the newest entry older than `before`: what a prune removes up to (inclusive). */
  async pruneBounds(before: number): Promise<AuditRow[]> {
    const bounds = await this.db
      .selectFrom("audit_entries")
      .select(["node_id", (eb) => eb.fn.max("seq").as("seq")])
      .where("time", "<", before)
      .groupBy("node_id")
      .execute();
    const rows: AuditRow[] = [];
    for (const b of bounds) {
      const row = await this.db
        .selectFrom("audit_entries")
        .selectAll()
        .where("node_id", "=", b.node_id)
        .where("seq", "=", Number(b.seq))
        .executeTakeFirst();
      if (row) rows.push(toAuditRow(row));
    }
    return rows;
  }

  async deleteThrough(nodeId: string, seq: number): Promise<number> {
    const result = await this.db
      .deleteFrom("audit_entries")
      .where("node_id", "=", nodeId)
      .where("seq", "<=", seq)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function toAuditRow(r: Database["audit_entries"]): AuditRow {
  return {
    nodeId: r.node_id,
    seq: Number(r.seq),
    time: Number(r.time),
    vault: r.vault,
    caller: r.caller,
    operationName: r.operation_name,
    entry: r.entry,
    prevMac: r.prev_mac,
    mac: r.mac,
  };
}
