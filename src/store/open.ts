// Opens the configured store: the embedded SQLite file by default, PostgreSQL when a URL is given.
import type BetterSqlite3 from "better-sqlite3";
import { Kysely, type CompiledQuery, type SqliteDatabase as KyselySqliteDatabase, type SqliteStatement } from "kysely";
import type { Sealer } from "../crypto/sealing.js";
import { Checkpointer } from "./checkpointer.js";
import { CommitGroup } from "./commit-group.js";
import type { ImmediateRead } from "./executor.js";
import { LiteralLimitSqliteDialect } from "./literal-limits.js";
import { SqliteDatabase } from "./sqlite.js";
import { migrate } from "./migrations.js";
import { ReadCache } from "./read-cache.js";
import type { Database } from "./schema.js";
import { Store } from "./store.js";
import { assertStorableText } from "./unstorable-text.js";
import { WalSync } from "./wal-sync.js";

export interface StoreOptions {
  sqliteFile?: string;
  postgresUrl?: string;
  sealer: Sealer;
  /** PostgreSQL: the serving pool's connections at most (postgres.ts's DEFAULT_POOL_SIZE unless given). */
  postgresPoolSize?: number;
  /** PostgreSQL: told when a connection fails outside a query (see postgres.ts). */
  onConnectionError?: (err: Error) => void;
}

export async function openStore(opts: StoreOptions): Promise<Store> {
  if (opts.postgresUrl) return openPostgres(opts.postgresUrl, opts);
  const { dialect, readNow, walSync, autocheckpoint } = openSqlite(opts.sqliteFile!);
  const db = new Kysely<Database>({ dialect });
  await migrate(db);
  // SQLite has one connection, so its writes share COMMITs, whose fsyncs run on libuv's pool; another connection,
  // on a worker thread, checkpoints the WAL.
  return Store.over(db, opts.sealer, {
    commits: new CommitGroup(db, walSync),
    walSync,
    readNow,
    checkpointer: new Checkpointer(opts.sqliteFile!, autocheckpoint),
  });
}

/** PostgreSQL runs transactions side by side on its pool, under the limits for serving requests (postgres.ts). */
async function openPostgres(url: string, opts: StoreOptions): Promise<Store> {
  // Loaded only here: the SQLite server's start does not pay for loading pg.
  const { postgresDialect } = await import("./postgres.js");
  // Migrations run without those limits: one may copy a whole table.
  const migrator = new Kysely<Database>({ dialect: postgresDialect(url) });
  try {
    await migrate(migrator);
  } finally {
    await migrator.destroy();
  }
  const db = new Kysely<Database>({
    dialect: postgresDialect(url, {
      requestLimits: true,
      prepare: true,
      poolSize: opts.postgresPoolSize,
      onConnectionError: opts.onConnectionError,
    }),
  });
  return Store.over(db, opts.sealer);
}

function openSqlite(file: string): {
  dialect: LiteralLimitSqliteDialect;
  readNow: ImmediateRead;
  walSync: WalSync | undefined;
  autocheckpoint: (pages: number) => void;
} {
  const sqlite = new SqliteDatabase(file);
  // WAL, with every COMMIT at synchronous = NORMAL (SQLite does not wait for the disk, on the event loop), and the
  // WAL fdatasync'd on libuv's pool before a write is acknowledged (wal-sync.ts): an acknowledged write survives the
  // process being killed and a power loss. Concurrent writes share one fsync, and commits no answer waits on skip it
  // (commit-group.ts). KLUIS_SQLITE_SYNCHRONOUS=NORMAL trades the power-loss guarantee (not the process-kill one)
  // for no fsync at all.
  const durable = process.env.KLUIS_SQLITE_SYNCHRONOUS?.toUpperCase() !== "NORMAL";
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("busy_timeout = 5000");
  // A statement journal (a multi-row INSERT inside a savepoint: the audit batches) stays in memory rather than spill
  // past 64 KiB into a temporary file opened, written and unlinked on the event loop (strace: ~10 a second under load).
  sqlite.pragma("temp_store = MEMORY");
  const walSync = durable ? new WalSync(file) : undefined;
  const reads = new ReadCache();
  const database = withStatementCache(sqlite, walSync, reads);
  // Outside a transaction the connection holds nothing between statements, so a read may run on it at once; and what
  // it reads is committed, so it may be kept for the next same read (read-cache.ts). Inside one, nothing is kept.
  const readNow: ImmediateRead = <R>({ sql, parameters }: CompiledQuery<R>) => {
    if (sqlite.inTransaction) return undefined;
    const key = reads.keyOf(sql, parameters);
    return reads.get<R>(key) ?? reads.keep(key, database.prepare(sql).all(parameters) as R[]);
  };
  return {
    dialect: new LiteralLimitSqliteDialect({ database }),
    readNow,
    walSync,
    // The size at which a COMMIT checkpoints the WAL on the event loop (checkpointer.ts).
    autocheckpoint: (pages) => void sqlite.pragma(`wal_autocheckpoint = ${pages}`),
  };
}

/** Prepared statements kept for reuse, keyed by their SQL (Kysely prepares every query anew otherwise). */
const STATEMENT_CACHE_SIZE = 500;

/**
 * The database as Kysely sees it, with a bounded cache of prepared statements: preparing costs about as much as
 * running one of the store's small indexed queries. Reuse is safe because better-sqlite3 runs a statement to
 * completion synchronously (the store never streams), and SQLite re-prepares a statement itself after a schema change.
 *
 * Every statement refuses a text parameter holding U+0000 first, as PostgreSQL does (unstorable-text.ts). A statement
 * that writes empties `reads` before it runs. Run outside any transaction, it COMMITs on its own (at
 * NORMAL): `walSync` is told, so that the answer that follows waits for its fsync like any other
 * (src/http/durable-answers.ts). Inside a transaction, the group's COMMIT is what counts (commit-group.ts). BEGIN,
 * COMMIT and SAVEPOINT are read-only to SQLite.
 */
function withStatementCache(
  sqlite: BetterSqlite3.Database,
  walSync: WalSync | undefined,
  reads: ReadCache,
): KyselySqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  /** A statement's call: a write empties `reads` first and, run outside a transaction, tells `walSync` after it. */
  const checked =
    <R>(writes: boolean, call: (parameters: readonly unknown[]) => R, commits = writes) =>
    (parameters: readonly unknown[]): R => {
      assertStorableText(parameters);
      if (!writes) return call(parameters);
      reads.clear();
      const result = call(parameters);
      if (commits && walSync && !sqlite.inTransaction) walSync.committedNow().catch(() => {}); // a failure fails every later answer
      return result;
    };
  return {
    close: () => void sqlite.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (!statement) {
        const prepared = sqlite.prepare(sql);
        const writes = !prepared.readonly;
        statement = {
          reader: prepared.reader,
          all: checked(writes, (parameters) => prepared.all(parameters)),
          run: checked(writes, (parameters) => prepared.run(parameters)),
          // Kysely iterates only to stream a query, which the store never does: no walSync for it.
          iterate: checked(writes, (parameters) => prepared.iterate(parameters), false),
        };
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}
