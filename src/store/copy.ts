// Moves a store from the embedded SQLite file to PostgreSQL: every row of every table, as stored. Sealed columns are
// copied as they are: their sealing context names the row (vault, kind, name, version), never the backend, so the
// same master key opens them on PostgreSQL.
import { SqliteDatabase } from "./sqlite.js";
import { Kysely, SqliteDialect, sql, type Transaction } from "kysely";
import { migrate } from "./migrations.js";
import { postgresDialect } from "./postgres.js";
import { UnstorableTextError } from "./unstorable-text.js";

/** Bind parameters per INSERT: far below PostgreSQL's 65,535, so a batch of large rows stays a few megabytes. */
const PARAMETERS_PER_INSERT = 10_000;

/**
 * Copies every table of the SQLite file into an empty PostgreSQL database, in one transaction, and returns the rows
 * copied per table. Both sides are first brought to the latest schema, as starting a server on them would.
 */
export async function copyStore(sqliteFile: string, postgresUrl: string): Promise<Record<string, number>> {
  // Safe integers: bigint columns (timestamps, sequence numbers) are read as BigInt and written as their exact digits.
  const sqlite = new SqliteDatabase(sqliteFile, { fileMustExist: true }).defaultSafeIntegers(true);
  const source = new Kysely<any>({ dialect: new SqliteDialect({ database: sqlite }) });
  const target = new Kysely<any>({ dialect: postgresDialect(postgresUrl) });
  try {
    await migrate(source);
    await migrate(target);
    const tables = await tablesOf(source);
    return await target.transaction().execute(async (trx) => {
      await lockAll(trx, tables);
      await refuseUnlessEmpty(trx, tables);
      const copied: Record<string, number> = {};
      for (const table of tables) copied[table] = await copyTable(source, trx, table);
      return copied;
    });
  } finally {
    await source.destroy();
    await target.destroy();
  }
}

/** Every table the migrated schema has (Kysely's own migration tables aside), so that a table added later is copied too. */
async function tablesOf(db: Kysely<any>): Promise<string[]> {
  const tables = await db.introspection.getTables();
  return tables.filter((t) => !t.isView).map((t) => t.name);
}

/** Holds off every other writer (a node starting on the database) until the copy commits. */
async function lockAll(trx: Transaction<any>, tables: string[]): Promise<void> {
  await sql`LOCK TABLE ${sql.join(tables.map((t) => sql.table(t)))} IN EXCLUSIVE MODE`.execute(trx);
}

/** The copy never merges into a store: a live one would end up with two tenants, signing keys and administrators. */
async function refuseUnlessEmpty(trx: Transaction<any>, tables: string[]): Promise<void> {
  for (const table of tables) {
    if (
      await trx
        .selectFrom(table)
        .select(sql`1`.as("one"))
        .limit(1)
        .executeTakeFirst()
    ) {
      throw new Error(
        `the PostgreSQL database already holds a Kluis store (table ${table} has rows); copy into an empty database`,
      );
    }
  }
}

/** Streams the table's rows from SQLite and inserts them in batches, so that no more than a batch is held at once. */
async function copyTable(source: Kysely<any>, trx: Transaction<any>, table: string): Promise<number> {
  let batch: Record<string, unknown>[] = [];
  let count = 0;
  const flush = async () => {
    if (batch.length > 0)
      await trx
        .insertInto(table)
        .values(batch)
        .execute()
        .catch((err: unknown) => {
          // Written before both stores refused it (unstorable-text.ts): the copy cannot go on, and nothing is copied.
          if (!(err instanceof UnstorableTextError)) throw err;
          throw new Error(
            `table ${table} holds text with the character U+0000 (NUL), which PostgreSQL cannot store; nothing was copied`,
          );
        });
    count += batch.length;
    batch = [];
  };
  for await (const row of source.selectFrom(table).selectAll().stream()) {
    batch.push(row as Record<string, unknown>);
    if (batch.length * Object.keys(row).length >= PARAMETERS_PER_INSERT) await flush();
  }
  await flush();
  return count;
}
