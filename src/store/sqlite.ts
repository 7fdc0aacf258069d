// better-sqlite3, loaded with require(): an ES import of a CommonJS package makes Node pre-parse the package's files
// for their export names (cjsPreparseModuleExports in bench/profiles/start-bundle.txt), 10-20 ms of a restart's CPU.
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";

export const SqliteDatabase = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;
