// Every row of a Kluis store's tables, read beside the server as an operator could: the SQLite file read-only, or the
// PostgreSQL database on a connection of its own. Tests compare two stores with it (copy-store) and check that a
// refused request wrote nothing (fuzz).
import Database from "better-sqlite3";
import pg from "pg";

export type Row = Record<string, unknown>;

export interface StoreRows {
  /** Kluis's tables, by name (not SQLite's own, nor Kysely's migration bookkeeping). */
  readonly tables: string[];
  /** Every row of `table`; bigint columns as BigInt from SQLite, as decimal text from PostgreSQL. */
  read(table: string): Promise<Row[]>;
  close(): Promise<void>;
}

const isKluisTable = (name: string) => !name.startsWith("sqlite_") && !name.startsWith("kysely_");

export function sqliteRows(file: string): StoreRows {
  const db = new Database(file, { readonly: true, fileMustExist: true }).defaultSafeIntegers(true);
  const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Row[];
  return {
    tables: names.map((t) => t.name as string).filter(isKluisTable),
    read: async (table) => db.prepare(`SELECT * FROM "${table}"`).all() as Row[],
    close: async () => void db.close(),
  };
}

export async function postgresRows(url: string): Promise<StoreRows> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const names = await client.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
  );
  return {
    tables: names.rows.map((t) => t.name).filter(isKluisTable),
    read: async (table) => (await client.query(`SELECT * FROM "${table}"`)).rows as Row[],
    close: () => client.end(),
  };
}
