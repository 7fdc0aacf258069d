// The WAL's fsync, off the event loop. better-sqlite3 runs SQLite on the event loop, so a COMMIT at synchronous = FULL
// stops every request for the length of an fsync (about 400 µs a group under a write load). Commit groups instead
// COMMIT at NORMAL (the frames reach the kernel, not the disk) and then fdatasync the WAL file here, on a libuv pool
// thread; a group's writes are answered once that fsync has returned. On Linux an fsync of any descriptor of a file
// syncs the file, so this descriptor of our own covers the frames SQLite wrote through its own.
//
// Coalesced: one fsync at a time; the commits made while it runs share the next one. Every commit's sequence number is
// covered by the first fsync that starts after the commit returned, and what a read sees is covered by an fsync that
// was in flight or pending when it ran: `pending()` is what an answer waits for before it shows anything (app.ts).
import { open, stat, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";

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
  private running = false;
  /** The WAL file as last opened, and its inode: SQLite keeps the file while a connection is open, but check. */
  private wal: { handle: FileHandle; ino: number } | undefined;
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
    await this.wal?.handle.close();
    this.wal = undefined;
  }

  private until(upTo: number): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiters.push({ upTo, resolve, reject });
      if (!this.running) void this.syncNext();
    });
  }

  private async syncNext(): Promise<void> {
    this.running = true;
    const upTo = this.committed;
    try {
      await (await this.walHandle()).datasync();
      this.synced = upTo;
    } catch (error) {
      this.failure = error;
    }
    this.running = false;
    // Waiters are pushed in the order of their numbers: those covered are at the front.
    const covered = this.failure === undefined ? this.waiters.findIndex((w) => w.upTo > upTo) : -1;
    const done = this.waiters.splice(0, covered < 0 ? this.waiters.length : covered);
    for (const waiter of done) {
      if (this.failure === undefined) waiter.resolve();
      else waiter.reject(this.failure);
    }
    if (this.waiters.length > 0) void this.syncNext();
  }

  /** The descriptor of the current WAL file; a new file's directory entry is made durable once, when it is opened. */
  private async walHandle(): Promise<FileHandle> {
    const path = `${this.dbFile}-wal`;
    const { ino } = await stat(path);
    if (this.wal?.ino === ino) return this.wal.handle;
    await this.wal?.handle.close();
    this.wal = undefined;
    const handle = await open(path, "r");
    try {
      if ((await handle.stat()).ino !== ino) throw new Error("the WAL file changed while it was opened");
      const dir = await open(dirname(path), "r");
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch (error) {
      await handle.close();
      throw error;
    }
    this.wal = { handle, ino };
    return handle;
  }
}
