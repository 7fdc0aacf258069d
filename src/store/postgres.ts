// The PostgreSQL connection pool, made to ride out database outages (a restart, a failover): no connection error
// reaches the process as an unhandled 'error' event, every wait on the database is bounded, a connection that failed
// is never reused, and failures of the connection class leave as StoreUnavailableError (503 to clients).
// pg.Pool reconnects lazily: the first query after the database is back opens a new connection.
// The serving pool prepares its statements, each once per connection (below: preparedName).
import { createHash } from "node:crypto";
import { PostgresDialect, type PostgresPool, type PostgresPoolClient, type PostgresQueryResult } from "kysely";
import pg from "pg";
import { isConnectionFailure, StoreUnavailableError } from "./unavailable.js";
import { assertStorableText } from "./unstorable-text.js";

/** Connections a node's serving pool opens at most, unless told (--postgres-pool-size). */
const DEFAULT_POOL_SIZE = 10;

/** Connecting, or waiting for a free connection of the pool: past this the request is answered 503. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Bounds for serving requests, none of which runs long: the server cancels a statement after 15 s, the client gives up
 * 5 s later on a server that stopped answering (a network fault that sends no reset), and a node that vanished in the
 * middle of a transaction has its session, and the row locks it held, ended after 30 s.
 */
const REQUEST_LIMITS = {
  statement_timeout: 15_000,
  query_timeout: 20_000,
  idle_in_transaction_session_timeout: 30_000,
};

export interface PostgresOptions {
  /** Applies REQUEST_LIMITS; off for migrations and copy-store, which may legitimately run long on a big store. */
  requestLimits?: boolean;
  /**
   * Runs statements as named prepared statements: PostgreSQL parses each once per connection and, after a few runs, plans
   * it once (a secret GET cost the database ~200 µs of CPU unnamed, ~60 named). On for serving; off for migrations and
   * copy-store, whose statements mostly run once.
   */
  prepare?: boolean;
  /** Connections open at most (DEFAULT_POOL_SIZE unless given). */
  poolSize?: number;
  /** Told when a connection fails outside a query (an idle one ended by the server); the pool has already dropped it. */
  onConnectionError?: (err: Error) => void;
}

export function postgresDialect(url: string, opts: PostgresOptions = {}): PostgresDialect {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    application_name: "kluis",
    ...(opts.requestLimits ? REQUEST_LIMITS : {}),
  });
  // Every client listens for its own errors for its whole life: pg-pool listens only while a client is idle, so a
  // connection ended between two queries of a transaction would otherwise be an unhandled 'error' and end the process.
  pool.on("connect", (client) => client.on("error", (err) => opts.onConnectionError?.(err)));
  // The pool re-emits an idle client's error, which that client's own listener has already reported.
  pool.on("error", () => {});
  return new PostgresDialect({ pool: new OutageAwarePool(pool, { named: opts.prepare === true }) });
}

/** Past this many distinct statement texts, further ones run unnamed (each connection keeps what it prepared). */
const MAX_PREPARED = 256;
const preparedNames = new Map<string, string>();

/**
 * A statement's name: a digest of its text, so that no two texts ever share a name, whichever process or version of
 * Kluis prepared them (a pooler that hands one server connection to several clients could otherwise run another's).
 */
function preparedName(sql: string): string | undefined {
  let name = preparedNames.get(sql);
  if (name === undefined && preparedNames.size < MAX_PREPARED)
    preparedNames.set(sql, (name = `kluis_${createHash("sha256").update(sql).digest("hex").slice(0, 40)}`));
  return name;
}

/**
 * A prepared statement the connection no longer has, or has twice: a pooler between Kluis and PostgreSQL that does
 * not keep each client's prepared statements (PgBouncer in transaction mode without max_prepared_statements).
 */
const LOST_PREPARED = new Set(["26000", "42P05"]);

/** A table changed under a prepared `select *` (a newer node's migration): this connection's plan cannot be used. */
const isStalePlan = (err: unknown) =>
  (err as { code?: unknown }).code === "0A000" && /cached plan must not change result type/.test(String(err));

/** The pool as Kysely uses it, translating connection failures and discarding the clients they happened on. */
class OutageAwarePool implements PostgresPool {
  private readonly clients = new WeakMap<pg.PoolClient, OutageAwareClient>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly statements: { named: boolean },
  ) {}

  async connect(): Promise<PostgresPoolClient> {
    const client = await this.pool.connect().catch(translate);
    let wrapped = this.clients.get(client);
    if (!wrapped) this.clients.set(client, (wrapped = new OutageAwareClient(client, this.statements)));
    // Kysely streams through the cursor form of query() only with a `cursor` configured; the store has none.
    return wrapped as unknown as PostgresPoolClient;
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

class OutageAwareClient {
  /** Set once a query failed for a connection reason: the client may still be waiting on it, so it is never reused. */
  private broken = false;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly statements: { named: boolean },
  ) {}

  async query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    // A query sent behind a timed-out one would wait for it (a ROLLBACK, say): fail it now, the client is dropped anyway.
    if (this.broken) throw new StoreUnavailableError(new Error("an earlier query on this connection failed"));
    assertStorableText(parameters);
    try {
      const name = this.statements.named ? preparedName(sql) : undefined;
      const values = [...parameters];
      const result = await (name ? this.prepared(name, sql, values) : this.client.query(sql, values));
      // pg types `command` as any string; Kysely reads only the commands it names.
      return result as unknown as PostgresQueryResult<R>;
    } catch (err) {
      // Both leave the connection's prepared statements unusable: it is dropped, the call answered 503 (its retry runs
      // on a new connection), and statements go unnamed from then on when a pooler loses them.
      const lost = LOST_PREPARED.has((err as { code?: unknown }).code as string);
      if (lost) this.statements.named = false;
      if (lost || isStalePlan(err)) {
        this.broken = true;
        throw new StoreUnavailableError(err);
      }
      if (isConnectionFailure(err)) this.broken = true;
      return translate(err);
    }
  }

  /** A named query, made without pg's copy of a query config object (property by property: ~2-5 µs a query). */
  private prepared(name: string, text: string, values: unknown[]): Promise<pg.QueryResult> {
    return new Promise((resolve, reject) => {
      const query = new pg.Query(text, values, (err, result) => (err ? reject(err) : resolve(result)));
      (query as { name?: string }).name = name;
      this.client.query(query);
    });
  }

  release(destroy?: boolean): void {
    this.client.release(destroy || this.broken);
  }
}

function translate(err: unknown): never {
  throw isConnectionFailure(err) ? new StoreUnavailableError(err) : err;
}
