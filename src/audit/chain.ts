// The audit log's chain: each node's entries are numbered 1, 2, 3, ... and each carries an HMAC (keyed from the master
// key) over its own fields and the previous entry's HMAC. Editing an entry breaks its HMAC; deleting one breaks the
// next one's link (and its number); only a holder of the master key could re-chain what follows.
// Retention removes the oldest entries: the prune leaves an anchor (the last removed entry's number and HMAC, itself
// under the HMAC) that the first remaining entry must link to.
import { createHmac, type KeyObject } from "node:crypto";
import { sameText as same } from "../crypto/constant-time.js";
import type { AuditRow } from "../store/repositories/audit.js";
import type { Store } from "../store/store.js";

/** What the first entry of a node links to. */
export const GENESIS = "0".repeat(64);

/** What starts the HMAC of an entry written in format 2; format 1's (written before it) are bare hex. */
const FORMAT_2 = "2:";

/**
 * An entry's HMAC, format 2: over its stored columns as they are, one after the other — each text prefixed by its
 * length (so that no two rows make the same input), null as "-", the entry's JSON text last — with the format named in
 * the result. Written entries are MACed once, over exactly what is stored; format 1 serialized the row again.
 */
export function entryMac(key: KeyObject, row: Omit<AuditRow, "mac">): string {
  const input = `${row.seq}.${row.time}.${field(row.nodeId)}${field(row.vault)}${field(row.caller)}${field(row.operationName)}${field(row.prevMac)}${row.entry}`;
  return FORMAT_2 + createHmac("sha256", key).update(input).digest("hex");
}

const field = (text: string | null) => (text === null ? "-" : `${text.length}.${text}`);

/** The HMAC a stored entry should carry, in the format it was written in. */
function expectedMac(key: KeyObject, row: AuditRow): string {
  if (row.mac.startsWith(FORMAT_2)) return entryMac(key, row);
  const fields = [row.nodeId, row.seq, row.time, row.vault, row.caller, row.operationName, row.entry, row.prevMac];
  return createHmac("sha256", key).update(JSON.stringify(fields)).digest("hex");
}

interface Anchor {
  seq: number;
  mac: string;
  anchorMac: string;
}

const anchorKey = (nodeId: string) => `audit_anchor/${nodeId}`;
const anchorMac = (key: KeyObject, nodeId: string, seq: number, mac: string) =>
  createHmac("sha256", key)
    .update(JSON.stringify(["anchor", nodeId, seq, mac]))
    .digest("hex");

/** Removes entries older than `before` (ms), leaving each node's anchor; returns how many went. */
export async function pruneAudit(store: Store, before: number): Promise<number> {
  const key = store.audit.macKey();
  let removed = 0;
  for (const last of await store.audit.pruneBounds(before)) {
    const anchor: Anchor = { seq: last.seq, mac: last.mac, anchorMac: anchorMac(key, last.nodeId, last.seq, last.mac) };
    removed += await store.transaction(async (tx) => {
      await tx.settings.put(anchorKey(last.nodeId), JSON.stringify(anchor));
      return tx.audit.deleteThrough(last.nodeId, last.seq);
    });
  }
  return removed;
}

export interface Verification {
  ok: boolean;
  /** Entries checked, and the nodes whose chains they make up. */
  checked: number;
  nodes: string[];
  /** The first entry that does not hold, and why. */
  firstBad?: { nodeId: string; seq: number; reason: string; entry?: unknown };
}

const PAGE = 1000;

/** Walks every node's chain in order, a page at a time; stops at the first entry that does not hold. */
export async function verifyAudit(store: Store): Promise<Verification> {
  const key = store.audit.macKey();
  const nodes: string[] = [];
  let checked = 0;
  let previous: AuditRow | undefined;
  const bad = (row: AuditRow, reason: string): Verification => ({
    ok: false,
    checked,
    nodes,
    firstBad: { nodeId: row.nodeId, seq: row.seq, reason, entry: parseEntry(row.entry) },
  });
  for (;;) {
    const page = await store.audit.chainPage(previous, PAGE);
    for (const row of page) {
      if (previous?.nodeId !== row.nodeId) {
        nodes.push(row.nodeId);
        const start = await chainStart(store, key, row.nodeId);
        if (!start) return bad(row, "the retention anchor of this node was altered");
        if (row.seq !== start.seq + 1 || !same(row.prevMac, start.mac))
          return bad(row, `entries before it are missing (expected number ${start.seq + 1})`);
      } else if (row.seq !== previous.seq + 1 || !same(row.prevMac, previous.mac)) {
        return bad(row, `it does not follow entry ${previous.seq}: entries between them were deleted or altered`);
      }
      if (!same(expectedMac(key, row), row.mac)) return bad(row, "its content was altered (HMAC mismatch)");
      checked++;
      previous = row;
    }
    if (page.length < PAGE) return { ok: true, checked, nodes };
  }
}

/** Where a node's chain starts: its retention anchor, or the genesis. Undefined when the anchor does not verify. */
async function chainStart(
  store: Store,
  key: KeyObject,
  nodeId: string,
): Promise<{ seq: number; mac: string } | undefined> {
  const stored = await store.settings.get(anchorKey(nodeId));
  if (stored === undefined) return { seq: 0, mac: GENESIS };
  try {
    const anchor = JSON.parse(stored) as Anchor;
    return same(anchor.anchorMac, anchorMac(key, nodeId, anchor.seq, anchor.mac))
      ? { seq: anchor.seq, mac: anchor.mac }
      : undefined;
  } catch {
    return undefined;
  }
}

export function parseEntry(entry: string): unknown {
  try {
    return JSON.parse(entry);
  } catch {
    return entry;
  }
}

/** Where a node's chain goes on from at a start: its newest entry, else its retention anchor, else the genesis. */
export async function chainTail(store: Store, nodeId: string): Promise<{ seq: number; mac: string }> {
  const last = await store.audit.last(nodeId);
  if (last) return { seq: last.seq, mac: last.mac };
  return (await chainStart(store, store.audit.macKey(), nodeId)) ?? { seq: 0, mac: GENESIS };
}
