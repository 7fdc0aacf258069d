// The WAL's fsync, off the event loop. better-sqlite3 runs SQLite on the event loop, so a COMMIT at synchronous = FULL
// stops every request for the length of an fsync (about 400 µs a group under a write load). Commit groups instead
// COMMIT at NORMAL (the frames reach the kernel, not the disk) and then fdatasync the WAL file here, on a libuv pool
// thread; a group's writes are answered once that fsync has returned. On Linux an fsync of any descriptor of a file
// syncs the file, so this descriptor of our own covers the frames SQLite wrote through its own.
//
// Coalesced and pipelined: a commit starts an fsync at once unless one started after it already runs, with at most
// MAX_IN_FLIGHT running; the commits made meanwhile share the next. Every commit's sequence number is covered by the
// first fsync that starts after the commit returned (fdatasync makes durable what was written before the call), so
// one that returns covers every number up to its own, whichever returns first. What a read sees is covered by an
// fsync in flight or pending when it ran: `pending()` is what an answer waits for before it shows anything
// (http/durable-answers.ts). Two in flight rather than one: a group committed while an fsync runs no longer waits for
// it to end before its own starts (under 16 writing connections the event loop sat idle a fifth of the time).
import { closeSync, fdatasync, fstatSync, fsyncSync, openSync, statSync } from "node:fs";
import { dirname } from "node:path";

/** fsyncs of the WAL running at once at most. */
const MAX_IN_FLIGHT = 2;

interface Waiter {
  upTo: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class WalSync {
  /** Commits that need the disk, counted... */
  private committed = 0;
  /** ...and how many of them the last completed fsync covered. */
  private synced = 0;
  private waiters: Waiter[] = [];
  /** fsyncs running now, and the highest commit number the newest of them covers. */
  private inFlight = 0;
  private startedUpTo = 0;
  /** The WAL file as last opened, and its inode: SQLite keeps the file while a connection is open, but check. */
  private wal: { fd: number; ino: number } | undefined;
  /** An fsync that failed leaves the kernel's pages in doubt (Linux may have dropped them): nothing is answered after. */
  private failure: unknown;

  constructor(private readonly dbFile: string) {}

  /** Told right after a COMMIT that must survive a power loss returned: resolves once it is on disk. */
  committedNow(): Promise<void> {
    return this.until(++this.committed);
  }

  /** Undefined when every commit so far is on disk (the usual case, and free); otherwise resolves once it is. */
  pending(): Promise<void> | undefined {
    return this.synced === this.committed && this.failure === undefined ? undefined : this.until(this.committed);
  }

  /** Closes the WAL's descriptor once nothing waits (the store's close). */
  async close(): Promise<void> {
    await this.pending()?.catch(() => {});
    if (this.wal) closeSync(this.wal.fd);
    this.wal = undefined;
  }

  private until(upTo: number): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiters.push({ upTo, resolve, reject });
      this.startIfUncovered();
    });
  }

  /** Starts an fsync when a waiter's commit is not covered by one running, and fewer than MAX_IN_FLIGHT run. */
  private startIfUncovered(): void {
    const newest = this.waiters.at(-1);
    if (newest && newest.upTo > this.startedUpTo && this.inFlight < MAX_IN_FLIGHT) this.startRound();
  }

  private startRound(): void {
    const upTo = this.committed;
    this.startedUpTo = upTo;
    this.inFlight++;
    new Promise<void>((resolve) => {
      let fd: number;
      try {
        fd = this.walDescriptor();
      } catch (error) {
        this.failure = error;
        return resolve();
      }
      fdatasync(fd, (error) => {
        if (error) this.failure = error;
        else this.synced = Math.max(this.synced, upTo);
        resolve();
      });
    }).then(() => {
      this.inFlight--;
      const synced = this.synced;
      // Waiters are pushed in the order of their numbers: those covered are at the front.
      const covered = this.failure === undefined ? this.waiters.findIndex((w) => w.upTo > synced) : -1;
      for (const waiter of this.waiters.splice(0, covered < 0 ? this.waiters.length : covered)) {
        if (this.failure === undefined) waiter.resolve();
        else waiter.reject(this.failure);
      }
      this.startIfUncovered();
    });
  }

  /**
   * The descriptor of the current WAL file (a stat of its path: a few µs on the event loop, cheaper than the same
   * through the pool). A new file's directory entry is made durable once, when it is opened.
   */
  private walDescriptor(): number {
    const path = `${this.dbFile}-wal`;
    const { ino } = statSync(path);
    if (this.wal?.ino === ino) return this.wal.fd;
    if (this.wal) closeSync(this.wal.fd);
    this.wal = undefined;
    const fd = openSync(path, "r");
    try {
      if (fstatSync(fd).ino !== ino) throw new Error("the WAL file changed while it was opened");
      const dir = openSync(dirname(path), "r");
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    this.wal = { fd, ino };
    return fd;
  }
}
