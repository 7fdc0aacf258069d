// WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside whichever COMMIT takes the WAL past
// 1000 pages, on the event loop: it copies those pages into the database file and fsyncs both files, tens of
// milliseconds every second or so under load, during which no request is served. A worker thread with a connection
// of its own checkpoints instead, at the same size or sooner (PASSIVE: it neither waits for nor blocks the serving
// connection's readers and writers). The WAL starts over from its beginning at the first write that finds every
// frame copied, which under a read load (audit batches every 50 ms) comes right after the worker's checkpoint. Writes
// that never pause would keep it growing, so the serving connection still checkpoints at a WAL of BOUNDED_PAGES: the
// worker has copied all but its last few frames, which is all that checkpoint has to copy, and the WAL starts over
// after it. A worker that fails hands checkpointing back to the serving connection at SQLite's 1000 pages.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** How often the worker looks at the WAL (a look reads the WAL index's header: no lock, no I/O). */
const POLL_MS = 100;
/** A checkpoint once this many WAL pages (4 KiB) wait to be copied, as SQLite's automatic checkpoint would... */
const CHECKPOINT_PAGES = 1000;
/** ...or once a page has waited this long: a COMMIT without an fsync (commit-group.ts) is on disk within about this. */
const DURABLE_WITHIN_MS = 1000;
/** Checkpoints run back to back at most, when COMMITs keep adding frames while one copies. */
const PASSES = 3;
/** After a start (and in a short-lived tool, never): a start's CPU goes to serving its first request. */
const START_DELAY_MS = 1000;
/** The serving connection's automatic checkpoint, in WAL pages: SQLite's default, and while the worker runs. */
const DEFAULT_PAGES = 1000;
const BOUNDED_PAGES = 8000;

// Inline, so that it runs the same from the bundle, from dist/ and under tsx. FULL: the checkpoint fsyncs the WAL
// before it copies from it, and the database file before the WAL may start over.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma("synchronous = FULL");
db.pragma("busy_timeout = 1000");
const waitingPages = () => {
  const [{ log, checkpointed }] = db.pragma("wal_checkpoint(NOOP)");
  return log - checkpointed;
};
let waitingSince = 0;
const timer = setInterval(() => {
  const waiting = waitingPages();
  if (waiting <= 0) return void (waitingSince = 0);
  waitingSince ||= Date.now();
  if (waiting < workerData.pages && Date.now() - waitingSince < workerData.durableWithinMs) return;
  // Frames committed during a pass are copied by the next, shorter one: the WAL may start over once one reaches its end.
  for (let pass = 0; pass < workerData.passes; pass++) {
    db.pragma("wal_checkpoint(PASSIVE)");
    if (waitingPages() <= 0) break;
  }
  waitingSince = 0;
}, workerData.pollMs);
parentPort.once("message", () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
parentPort.postMessage("ready");
`;

export class Checkpointer {
  private worker: Worker | undefined;
  private readonly starting: NodeJS.Timeout;
  private closed = false;

  /** `autocheckpoint` sets the WAL size, in pages, at which the serving connection checkpoints. */
  constructor(
    private readonly file: string,
    private readonly autocheckpoint: (pages: number) => void,
  ) {
    this.starting = setTimeout(() => this.start(), START_DELAY_MS).unref();
  }

  private start(): void {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve("better-sqlite3"),
        file: this.file,
        pollMs: POLL_MS,
        pages: CHECKPOINT_PAGES,
        durableWithinMs: DURABLE_WITHIN_MS,
        passes: PASSES,
      },
    });
    this.worker = worker;
    worker.once("message", () => {
      if (!this.closed) this.autocheckpoint(BOUNDED_PAGES);
    });
    // An error ends the worker (its 'exit' follows); the serving connection checkpoints itself again.
    worker.on("error", () => {});
    worker.once("exit", () => {
      this.worker = undefined;
      if (!this.closed) this.autocheckpoint(DEFAULT_PAGES);
    });
    worker.unref(); // never what keeps a process alive
  }

  /** Stops the worker and closes its connection: the serving connection, closed last, then checkpoints and removes the WAL. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.starting);
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once("exit", resolve));
    worker.ref(); // what is awaited here must keep the process alive
    worker.postMessage("close");
    await exited;
  }
}
