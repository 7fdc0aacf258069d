// Group commit for the embedded SQLite store. Every COMMIT waits for an fsync (synchronous = FULL), and
// better-sqlite3 waits on the event loop, so one fsync per write bounds write throughput. Transactions that are
// queued while the previous group commits share the next COMMIT: one fsync acknowledges them all. Each runs in its
// own savepoint, so one that fails is undone alone; none is answered before the COMMIT holding it has returned.
import { setImmediate as nextTurn } from "node:timers/promises";
import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "./schema.js";

type Work = (trx: Transaction<Database>) => Promise<unknown>;

interface Queued {
  work: Work;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Enough to share an fsync among every connection of a busy server, small enough to keep a group's latency low. */
const MAX_GROUP = 64;

export class CommitGroup {
  private queue: Queued[] = [];
  private draining = false;

  constructor(private readonly db: Kysely<Database>) {}

  run<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        // Requests the server has already received get to reach their write and join this group.
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
    group.forEach(({ resolve, reject }, i) => {
      const outcome = outcomes[i]!;
      if (outcome.failed) reject(outcome.error);
      else resolve(outcome.value);
    });
  }
}
