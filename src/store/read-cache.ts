// The rows of the hot reads (an object's name and versions, read on every data-plane call: executor.ts), kept until
// the next write on the SQLite connection, whatever that write touches. The server is its store's only writer (one
// server per data directory: server/lock.ts; `copy-store` refuses a running server), so nothing else can make a kept
// row stale. A GET of a secret read again skips SQLite's B-tree walks: about a fifth of its CPU (issue 13).
// Rows are kept as SQLite returned them (a sealed value stays sealed) and frozen, as every reader shares them.

/** Results kept at most, the oldest dropped first: a row holds at most a secret's sealed value (about 34 KB). */
const MAX_RESULTS = 1000;

export class ReadCache {
  private results = new Map<string, readonly unknown[]>();
  private readonly queries = new Map<string, number>();

  /** The key of one query's result: its SQL (numbered once) and its values, unambiguously. */
  keyOf(sql: string, parameters: readonly unknown[]): string {
    let id = this.queries.get(sql);
    if (id === undefined) this.queries.set(sql, (id = this.queries.size));
    return `${id}:${JSON.stringify(parameters)}`;
  }

  get<R>(key: string): readonly R[] | undefined {
    return this.results.get(key) as readonly R[] | undefined;
  }

  keep<R>(key: string, rows: R[]): readonly R[] {
    for (const row of rows) Object.freeze(row);
    if (this.results.size >= MAX_RESULTS) this.results.delete(this.results.keys().next().value!);
    this.results.set(key, Object.freeze(rows));
    return rows;
  }

  /** A statement that writes is about to run: no kept result may be current once it has. */
  clear(): void {
    if (this.results.size > 0) this.results = new Map();
  }
}
