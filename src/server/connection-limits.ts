// How many connections the server holds and how long an idle or slow one may stay: without a cap, idle sockets
// exhaust the process's file descriptors and every honest request is reset; without timeouts, they never leave.
import { readFileSync } from "node:fs";

/** Node has no getrlimit: Linux prints the soft limit on open files in /proc/self/limits. */
function openFilesLimit(): number | undefined {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = Number(line?.split(/\s{2,}/)[1]);
    return Number.isInteger(soft) && soft > 0 ? soft : undefined;
  } catch {
    return undefined;
  }
}

/**
 * 512, or half the open-files limit when that is lower: the other half is for the store, worker threads and the
 * CONNECT proxy's tunnels (two descriptors each, and a quarter of this cap, see proxyConnections).
 */
export function defaultMaxConnections(): number {
  const limit = openFilesLimit();
  return limit === undefined ? 512 : Math.max(16, Math.min(512, Math.floor(limit / 2)));
}

/** The CONNECT proxy's own cap: a tunnel takes two descriptors, and one of the server's connections when it goes to Kluis. */
export const proxyConnections = (maxConnections: number) => Math.max(4, Math.floor(maxConnections / 4));

/** Timeouts, in milliseconds, for the HTTPS server (Node's defaults are minutes, or none). */
export const TIMEOUTS = {
  /** A TCP connection that has not finished its TLS handshake (Node's default: 120 s). */
  handshake: 10_000,
  /** From connecting to the end of the request's headers (Node's default: 60 s). */
  headers: 15_000,
  /** The whole request, body included: a 96 MB restore at 1 MB/s still fits (Node's default: 300 s). */
  request: 120_000,
  /** An idle keep-alive connection between requests (Fastify's default: 72 s). */
  keepAlive: 15_000,
  /** A socket on which nothing moves, mid-request or not (Fastify's default: none). */
  inactivity: 60_000,
  /** How often Node looks for connections past the headers and request timeouts (Node's default: 30 s). */
  check: 1_000,
} as const;
