// What every repository runs its queries on: the database itself, or the transaction it was handed.
import type { Compilable, CompiledQuery, Kysely, Transaction } from "kysely";
import type { Database } from "./schema.js";

export type Executor = Kysely<Database> | Transaction<Database>;

/**
 * SQLite only: runs a compiled read at once on its one connection and gives its rows, or undefined while a transaction
 * holds the connection (the read then waits its turn through Kysely). Kysely's path around a read that better-sqlite3
 * makes synchronously (a mutex, several awaits, a result transform) costs about as much as the read itself.
 */
export type ImmediateRead = <R>(query: CompiledQuery<R>) => readonly R[] | undefined;

/**
 * A query built and compiled once, then run with new values: Kysely otherwise rebuilds and recompiles the SQL of
 * every call (about 9 µs each), which the reads on every request's path (name, then version) would pay twice.
 */
export class PreparedQuery<R> {
  private readonly compiled: CompiledQuery<R>;
  constructor(query: Compilable<R>) {
    this.compiled = query.compile();
  }

  /** The query with `values` for its first placeholders, in the order they were written; later ones (a fixed limit) keep theirs. */
  bind(values: unknown[]): CompiledQuery<R> {
    return { ...this.compiled, parameters: [...values, ...this.compiled.parameters.slice(values.length)] };
  }
}
