// Restore bodies may be 96 MB. Two defences keep them from exhausting memory: a server-wide budget of body bytes in
// flight (a restore waits for room, then gets 503 with Retry-After), and a parser that decodes the one large field,
// the base64url backup blob, straight from the received bytes, never holding it as a string.
import type { FastifyReply, FastifyRequest } from "fastify";
import { RetryLaterError } from "./errors.js";

/** Request bytes the server reads at once: one restore of the largest size, with room for small ones beside it. */
export const LARGE_BODY_BUDGET = 128 * 1024 * 1024;
/** How long a restore waits for room before it is told to come back. */
const WAIT_MS = 20_000;
const RETRY_AFTER_SECONDS = 5;

/** Bytes taken from a fixed capacity; requests that do not fit queue in order of arrival. */
export class ByteBudget {
  private used = 0;
  private readonly waiting: { bytes: number; grant: () => void }[] = [];

  constructor(readonly capacity: number) {}

  /**
   * Takes `bytes` (at most the capacity), waiting up to `waitMs` for room unless `gone` aborts first.
   * `held.bytes` is set the moment they are taken, so that whoever gives them back never misses them.
   */
  take(bytes: number, waitMs: number, gone: AbortSignal, held: { bytes: number }): Promise<boolean> {
    const wanted = Math.min(bytes, this.capacity);
    if (this.waiting.length === 0 && this.used + wanted <= this.capacity) {
      this.used += held.bytes = wanted;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const waiter = {
        bytes: wanted,
        grant: () => {
          stopWaiting();
          this.used += held.bytes = wanted;
          resolve(true);
        },
      };
      const giveUp = () => {
        stopWaiting();
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        this.grantWaiting(); // those behind it may fit
        resolve(false);
      };
      const timer = setTimeout(giveUp, waitMs);
      const stopWaiting = () => {
        clearTimeout(timer);
        gone.removeEventListener("abort", giveUp);
      };
      gone.addEventListener("abort", giveUp, { once: true });
      this.waiting.push(waiter);
    });
  }

  give(held: { bytes: number }): void {
    this.used -= held.bytes;
    held.bytes = 0;
    this.grantWaiting();
  }

  private grantWaiting(): void {
    for (let next = this.waiting[0]; next && this.used + next.bytes <= this.capacity; next = this.waiting[0]) {
      this.waiting.shift();
      next.grant();
    }
  }
}

const budget = new ByteBudget(LARGE_BODY_BUDGET);

/**
 * A preParsing hook: reserves the body's announced length (or the route's whole limit when the client streams
 * without one) before a byte of it is read, and gives it back when the response is done or the client goes.
 */
export async function reserveBodyMemory(req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const announced = Number(req.headers["content-length"]);
  const limit = req.routeOptions.bodyLimit ?? LARGE_BODY_BUDGET;
  const bytes = Number.isSafeInteger(announced) && announced >= 0 ? Math.min(announced, limit) : limit;
  const gone = new AbortController();
  const held = { bytes: 0 };
  reply.raw.once("close", () => {
    gone.abort();
    if (held.bytes) budget.give(held);
  });
  if (!(await budget.take(bytes, WAIT_MS, gone.signal, held))) {
    throw new RetryLaterError(
      503,
      "ServiceUnavailable",
      "The server is busy restoring other backups; retry later.",
      RETRY_AFTER_SECONDS,
    );
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The index of the quote closing the JSON string that opens at `open`, or -1. */
function stringEnd(buf: Buffer, open: number): number {
  let end = buf.indexOf(QUOTE, open + 1);
  while (end > 0) {
    let slashes = 0;
    while (buf[end - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return end;
    end = buf.indexOf(QUOTE, end + 1);
  }
  return -1;
}

/** Where the characters of a top-level "value" string without escapes lie in a JSON object: [start, end). */
function valueSpan(buf: Buffer): [number, number] | undefined {
  let depth = 0;
  let key: string | undefined;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === QUOTE) {
      const end = stringEnd(buf, i);
      if (end < 0) return undefined;
      if (depth === 1) {
        let next = end + 1;
        while (
          next < buf.length &&
          (buf[next] === 0x20 || buf[next] === 0x09 || buf[next] === 0x0a || buf[next] === 0x0d)
        )
          next++;
        if (buf[next] === 0x3a)
          key = end - i === 6 ? buf.toString("latin1", i + 1, end) : ""; // only "value" matters
        else if (key === "value") {
          const slash = buf.indexOf(BACKSLASH, i + 1);
          return slash < 0 || slash > end ? [i + 1, end] : undefined;
        }
      }
      i = end;
    }
  }
  return undefined;
}

/** Base64url (or base64) characters to bytes, a few MB at a time: no string ever holds the whole blob. */
function decodeBase64Span(buf: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(Math.ceil(((end - start) * 3) / 4));
  const CHUNK = 4 * 1024 * 1024; // a multiple of 4 characters, so that no chunk splits a quantum
  let written = 0;
  for (let at = start; at < end; at += CHUNK)
    written += out.write(buf.toString("latin1", at, Math.min(end, at + CHUNK)), written, "base64url");
  return out.subarray(0, written);
}

/**
 * A restore body: the JSON object with its "value" as the decoded bytes of the blob. The rest of the object is
 * parsed as JSON with the blob left out, so that malformed JSON is still refused; a blob written with escapes
 * (no SDK does) is parsed the ordinary way.
 */
export function parseBackupBody(buf: Buffer): unknown {
  const span = valueSpan(buf);
  if (!span) return JSON.parse(buf.toString("utf8"));
  const body = JSON.parse(Buffer.concat([buf.subarray(0, span[0]), buf.subarray(span[1])]).toString("utf8")) as Record<
    string,
    unknown
  >;
  body.value = decodeBase64Span(buf, span[0], span[1]);
  return body;
}
