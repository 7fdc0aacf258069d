// The audit_entries table: the chained audit log (audit/log.ts writes it, audit/chain.ts verifies and prunes it).
import type { Sealer } from "../../crypto/sealing.js";
import type { Executor } from "../executor.js";
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

export class AuditRepository {
  constructor(
    private readonly db: Executor,
    private readonly sealer: Sealer,
  ) {}

  /** The audit chain's HMAC key, derived from the master key: whoever edits the table without it cannot re-chain it. */
  macKey(): Buffer {
    return this.sealer.derivedKey(AUDIT_KEY_LABEL);
  }

  async append(rows: readonly AuditRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.insertInto("audit_entries").values(rows.map(toAuditColumns)).execute();
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

function toAuditColumns(r: AuditRow): Database["audit_entries"] {
  return {
    node_id: r.nodeId,
    seq: r.seq,
    time: r.time,
    vault: r.vault,
    caller: r.caller,
    operation_name: r.operationName,
    entry: r.entry,
    prev_mac: r.prevMac,
    mac: r.mac,
  };
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
