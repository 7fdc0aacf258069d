// The rows of the hot reads (an object's name and versions, read on every data-plane call: executor.ts), kept until
// the next write on the SQLite connection, whatever that write touches. The server is its store's only writer (one
// server per data directory: server/lock.ts; `copy-store` refuses a running server), so nothing else can make a kept
// row stale. A GET of a secret read again skips SQLite's B-tree walks: about a fifth of its CPU (issue 13).
// Rows are kept as SQLite returned them (a sealed value stays sealed) and frozen, as every reader shares them.

/** Results kept at most, the oldest dropped first... */
const MAX_RESULTS = 1000;
/** ...and the characters of their rows' text at most (a certificate's row may hold megabytes). */
const MAX_CHARS = 8 * 1024 * 1024;

interface Kept {
  rows: readonly unknown[];
  chars: number;
}

export class ReadCache {
  private results = new Map<string, Kept>();
  private chars = 0;
  private readonly queries = new Map<string, number>();

  /** The key of one query's result: its SQL (numbered once) and its values, unambiguously. */
  keyOf(sql: string, parameters: readonly unknown[]): string {
    let id = this.queries.get(sql);
    if (id === undefined) this.queries.set(sql, (id = this.queries.size));
    return `${id}:${JSON.stringify(parameters)}`;
  }

  get<R>(key: string): readonly R[] | undefined {
    return this.results.get(key)?.rows as readonly R[] | undefined;
  }

  keep<R>(key: string, rows: R[]): readonly R[] {
    let chars = 0;
    for (const row of rows) {
      for (const value of Object.values(row as object)) if (typeof value === "string") chars += value.length;
      Object.freeze(row);
    }
    Object.freeze(rows);
    if (chars > MAX_CHARS) return rows;
    for (const [oldest, kept] of this.results) {
      if (this.results.size < MAX_RESULTS && this.chars + chars <= MAX_CHARS) break;
      this.results.delete(oldest);
      this.chars -= kept.chars;
    }
    this.results.set(key, { rows, chars });
    this.chars += chars;
    return rows;
  }

  /** A statement that writes is about to run: no kept result may be current once it has. */
  clear(): void {
    if (this.results.size > 0) {
      this.results = new Map();
      this.chars = 0;
    }
  }
}
