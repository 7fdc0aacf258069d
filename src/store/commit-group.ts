// Group commit for the embedded SQLite store. Transactions that are queued while the previous group commits share
// the next COMMIT, and so the fsync that makes them durable. Each runs in its own savepoint, so one that fails is
// undone alone; none is answered before the COMMIT holding it has returned, and, when it needs to survive a power
// loss, before the WAL has been fsync'd after that COMMIT.
//
// The connection runs at synchronous = NORMAL: a COMMIT writes the WAL without waiting for the disk, on the event
// loop. A group in which a transaction asked for durability then waits for an fdatasync of the WAL made on a libuv
// pool thread (wal-sync.ts); the transactions queued meanwhile share the next group, whose fsync may run beside it.
// A group in which none did (the audit log's batches: nothing answered waits on them) skips the fsync: as safe for the
// process (the kernel holds the write), and safe for the machine at the next fsync or checkpoint, each of which syncs
// the whole WAL.
import { setImmediate as nextTurn } from "node:timers/promises";
import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "./schema.js";
import type { WalSync } from "./wal-sync.js";

type Work = (trx: Transaction<Database>) => Promise<unknown>;

interface Queued {
  work: Work;
  fsync: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Enough to share an fsync among every connection of a busy server, small enough to keep a group's latency low. */
const MAX_GROUP = 64;

export class CommitGroup {
  private queue: Queued[] = [];
  private draining = false;

  /** `walSync` is given when the store promises durability (not under KLUIS_SQLITE_SYNCHRONOUS=NORMAL). */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly walSync?: WalSync,
  ) {}

  /** Runs `work` in the next group; `fsync: false` when no answer waits on it (the group still fsyncs if another does). */
  run<T>(work: (trx: Transaction<Database>) => Promise<T>, { fsync = true } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, fsync, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        // Requests the server has already received get to reach their write and join this group. Its fsync starts
        // once it has committed, beside one still running for the group before (wal-sync.ts).
        await nextTurn();
        await this.commit(this.queue.splice(0, MAX_GROUP));
      }
    } finally {
      this.draining = false;
    }
  }

  private async commit(group: Queued[]): Promise<void> {
    const outcomes: { value?: unknown; error?: unknown; failed: boolean }[] = [];
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const { work } of group) {
          await sql`SAVEPOINT grouped_write`.execute(trx);
          try {
            outcomes.push({ value: await work(trx), failed: false });
          } catch (error) {
            await sql`ROLLBACK TO grouped_write`.execute(trx);
            outcomes.push({ error, failed: true });
          }
          await sql`RELEASE grouped_write`.execute(trx);
        }
      });
    } catch (error) {
      // The COMMIT (or the transaction itself) failed: nothing in the group was written.
      for (const { reject } of group) reject(error);
      return;
    }
    const answer = () =>
      group.forEach(({ resolve, reject }, i) => {
        const outcome = outcomes[i]!;
        if (outcome.failed) reject(outcome.error);
        else resolve(outcome.value);
      });
    // Not awaited: the next group commits while this one's fsync runs.
    if (this.walSync && group.some((queued) => queued.fsync))
      this.walSync.committedNow().then(answer, (error: unknown) => group.forEach(({ reject }) => reject(error)));
    else answer();
  }
}
