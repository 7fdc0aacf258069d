// Which database failures mean "the database cannot be reached right now" (a restart, a failover, a network fault),
// as opposed to a query that is wrong. The store throws those as StoreUnavailableError, which every API answers with
// 503 and Retry-After: the client's retry will likely succeed, and nothing half-done was committed.

/** The database could not be reached, or the connection went away, before the operation completed. */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    // For logs and the CLI; clients get a fixed message (src/http/error-handler.ts), never the database's address.
    super(`The database cannot be reached: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "StoreUnavailableError";
  }
}

/** Socket-level failures: the server is down, restarting, or unreachable. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * PostgreSQL's SQLSTATEs for the same: class 08 (connection exception), 57P01-57P03 (admin shutdown, crash shutdown,
 * cannot connect now: starting or in recovery), 57014 (statement_timeout cancelled the statement), 53300 (too many
 * connections).
 */
const SQLSTATE = /^(08...|57P0[123]|57014|53300)$/;

/**
 * pg's own errors carry no code, only these messages: the connection ended under a query, a connection or a pool
 * slot was not had within connectionTimeoutMillis, query_timeout passed, or a client whose connection failed was used.
 */
const PG_MESSAGES =
  /^(Connection terminated|timeout expired|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error)/;

export function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && (NETWORK_CODES.has(code) || SQLSTATE.test(code))) return true;
  if (PG_MESSAGES.test(err.message)) return true;
  // A connect that fails on every address (localhost: ::1 and 127.0.0.1) rejects with all the failures together.
  return err instanceof AggregateError && err.errors.length > 0 && err.errors.every(isConnectionFailure);
}
