// The audit log's writer: entries are queued on the request path and written in batches (one INSERT per batch, in
// order), so that a request waits for none of it. Each node chains its own entries (chain.ts). When the store refuses a
// batch, the request has long been answered: the entries are lost, the chain goes on from its last written entry,
// and the loss is counted in a log line.
import type { KeyObject } from "node:crypto";
import type { AuditRow } from "../store/repositories/audit.js";
import type { Store } from "../store/store.js";
import { chainTail, entryMac } from "./chain.js";

/** Key Vault's diagnostic log category, and Entra's for sign-ins and Microsoft Graph's calls. */
export type AuditCategory =
  | "AuditEvent"
  | "SignInLogs"
  | "NonInteractiveUserSignInLogs"
  | "ServicePrincipalSignInLogs"
  | "MicrosoftGraphActivityLogs";

/**
 * Azure Monitor's AuditEvent, as Key Vault writes it (sign-ins add what they named and Entra's error code, as Entra's
 * sign-in logs do); never a value, key material, token, code or password.
 */
export interface AuditEvent {
  time: string;
  resourceId: string;
  operationName: string;
  operationVersion: string | null;
  category: AuditCategory;
  resultType: "Success" | "Failure";
  resultSignature: string;
  resultDescription: string | null;
  durationMs: number;
  callerIpAddress: string;
  correlationId: string;
  identity: { claim: Record<string, string> } | null;
  properties: {
    id: string | null;
    clientInfo: string | null;
    httpStatusCode: number;
    grantType?: string;
    appId?: string | null;
    userPrincipalName?: string | null;
    /** Entra's AADSTS error code; 0 for a sign-in that succeeded, null for one refused before any code applied. */
    errorCode?: number | null;
  };
}

/**
 * Written at once past this many queued entries; otherwise after BATCH_DELAY_MS. A batch is chained and inserted in
 * one turn of the event loop, which every request waits behind: with 256, GET's p99 at 16 connections was 1 ms higher
 * than with 64, at the same throughput and CPU (alternating runs).
 */
const BATCH_SIZE = 64;
const BATCH_DELAY_MS = 50;

export interface AuditRecord {
  event: AuditEvent;
  /** The event's time in ms (what its `time` says). */
  time: number;
  /** Copied out of the event for filtering: the vault's name (lower-cased) and the caller's object id. */
  vault: string | null;
  caller: string | null;
}

/** A record as queued: its event already serialized, so that what waits for the batch is one flat string. */
interface QueuedRecord {
  entry: string;
  operationName: string;
  time: number;
  vault: string | null;
  caller: string | null;
}

export class AuditLog {
  private queue: QueuedRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly key: KeyObject;

  private constructor(
    private readonly store: Store,
    readonly nodeId: string,
    private tail: { seq: number; mac: string },
    private readonly onLoss: (lost: number, err: unknown) => void,
  ) {
    this.key = store.audit.macKey();
  }

  static async open(store: Store, nodeId: string, onLoss: (lost: number, err: unknown) => void): Promise<AuditLog> {
    return new AuditLog(store, nodeId, await chainTail(store, nodeId), onLoss);
  }

  record({ event, time, vault, caller }: AuditRecord): void {
    // Serialized at once (the one serialization: stored as is, and MACed as is): a queued event's object graph would
    // survive the young generation's collections until its batch is written, and cost each of them a copy.
    this.queue.push({ entry: JSON.stringify(event), operationName: event.operationName, time, vault, caller });
    if (this.queue.length >= BATCH_SIZE) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), BATCH_DELAY_MS);
  }

  /** Writes what is queued; resolves once every batch handed over so far is written (or counted lost). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length > 0) this.writing = this.writing.then(() => this.write(batch));
    return this.writing;
  }

  private async write(batch: QueuedRecord[]): Promise<void> {
    let { seq, mac } = this.tail;
    const rows: AuditRow[] = batch.map(({ entry, operationName, time, vault, caller }) => {
      const row = {
        nodeId: this.nodeId,
        seq: ++seq,
        time,
        vault,
        caller,
        operationName,
        entry,
        prevMac: mac,
        mac: "",
      };
      row.mac = mac = entryMac(this.key, row);
      return row;
    });
    try {
      // One transaction: the rows go in several INSERTs, and on SQLite they share a COMMIT with the writes around them.
      // No answer waits on them (they are queued after it), so their COMMIT need not wait for an fsync.
      await this.store.transaction((tx) => tx.audit.append(rows), { fsync: false });
      this.tail = { seq, mac };
    } catch (err) {
      this.onLoss(batch.length, err);
    }
  }
}
