// Opens the configured store: the embedded SQLite file by default, PostgreSQL when a URL is given.
import SqliteDatabase from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import type { Sealer } from "../crypto/sealing.js";
import { migrate } from "./migrations.js";
import type { Database } from "./schema.js";
import { Store } from "./store.js";

export async function openStore(opts: { sqliteFile?: string; postgresUrl?: string; sealer: Sealer }): Promise<Store> {
  const db = new Kysely<Database>({ dialect: opts.postgresUrl ? postgresDialect(opts.postgresUrl) : sqliteDialect(opts.sqliteFile!) });
  await migrate(db);
  return new Store(db, opts.sealer);
}

function sqliteDialect(file: string): SqliteDialect {
  const sqlite = new SqliteDatabase(file);
  // WAL with FULL sync: a write acknowledged to a client survives the process being killed.
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma("busy_timeout = 5000");
  return new SqliteDialect({ database: sqlite });
}

function postgresDialect(url: string): PostgresDialect {
  return new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 10 }) });
}
