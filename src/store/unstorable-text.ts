// PostgreSQL's text cannot hold U+0000: a query that binds it fails ("invalid byte sequence"), whether it writes or
// only looks something up. Both stores refuse such a value before the query runs, as the client's error (400 in each
// API's shape), so that a request is answered alike on the SQLite file and on PostgreSQL, and a store copied from one to
// the other holds nothing the other refuses. JSON columns never hold it raw: JSON.stringify writes it as \u0000.

/** A query parameter holding U+0000: the client's error. The message never repeats the value (it may be a secret). */
export class UnstorableTextError extends Error {
  readonly statusCode = 400;
  constructor() {
    super("The request holds the character U+0000 (NUL), which no name, identifier or text here may contain.");
    this.name = "UnstorableTextError";
  }
}

/** Throws UnstorableTextError when a text parameter holds U+0000. */
export function assertStorableText(parameters: readonly unknown[]): void {
  for (const p of parameters) if (typeof p === "string" && p.includes("\0")) throw new UnstorableTextError();
}
