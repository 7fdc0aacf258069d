// One server per data directory: a second one would open the same store beside the first and replace the
// server.json by which the CLI finds the first. The lock is SQLite's own POSIX lock on a file of its own, which the
// kernel releases when its holder ends however it ends: a server killed with SIGKILL never blocks a restart, and
// no pid is ever taken for a live server by mistake.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { SqliteDatabase } from "../store/sqlite.js";
import type { DataDir } from "./data-dir.js";
import { errorCode } from "../http/errors.js";

/** Takes the data directory's lock, or throws naming the server that holds it. Returns the release. */
export function lockDataDir(dir: DataDir): () => void {
  const db = new SqliteDatabase(dir.lock, { timeout: 0 });
  try {
    // EXCLUSIVE locking mode keeps the lock BEGIN EXCLUSIVE takes until the connection closes. Nothing is ever
    // written, so no journal file is needed beside it (setting that reads the file: it can meet the lock too).
    db.pragma("locking_mode = EXCLUSIVE");
    db.pragma("journal_mode = MEMORY");
    db.exec("BEGIN EXCLUSIVE");
  } catch (err) {
    db.close();
    if (errorCode(err) !== "SQLITE_BUSY") throw err;
    const pid = readOwner(dir);
    throw new Error(
      `Another Kluis server${pid ? ` (pid ${pid})` : ""} is running on ${dir.root}: stop it first, or start this one with another --data-dir.`,
      { cause: err },
    );
  }
  writeFileSync(dir.lockOwner, `${process.pid}\n`);
  return () => {
    rmSync(dir.lockOwner, { force: true });
    db.close();
  };
}

function readOwner(dir: DataDir): number | undefined {
  try {
    const pid = Number(readFileSync(dir.lockOwner, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // the holder is between taking the lock and writing its pid
  }
}
