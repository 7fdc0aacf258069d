// Key Vault list paging: `maxresults` (1-25) and a `nextLink` carrying an opaque $skiptoken.
import { badParameter } from "../http/errors.js";
import type { NameRecord, Page, VersionRecord } from "../store/repositories/objects.js";
import type { ObjectCollection } from "./collection.js";
import type { ObjectScope, VaultScope } from "./scope.js";

export const MAX_PAGE = 25;

export interface PageRequest {
  limit: number;
  after?: string;
  /** On lists of names: only the names containing this (Kluis's search, name-search.ts). */
  search?: string;
}

export function readPageRequest(query: Record<string, unknown>): PageRequest {
  const raw = query.maxresults;
  let limit = MAX_PAGE;
  if (raw !== undefined && raw !== "") {
    limit = Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw badParameter(
        `Invalid value for maxresults: '${String(raw)}'. It must be an integer between 1 and ${MAX_PAGE}.`,
      );
    }
  }
  const token = query.$skiptoken;
  if (token === undefined || token === "") return { limit };
  if (typeof token !== "string") throw badParameter("Invalid $skiptoken.");
  return { limit, after: Buffer.from(token, "base64url").toString("utf8") };
}

/**
 * A page of versions: the position a nextLink carries is the last version's sequence number. A token that holds no
 * such number (a fraction, or past what a 64-bit column holds: PostgreSQL refuses to compare those) starts at the first.
 */
export function versionPage(page: PageRequest): { limit: number; after?: number } {
  const after = page.after === undefined ? undefined : Number(page.after);
  return { limit: page.limit, after: Number.isSafeInteger(after) ? after : undefined };
}

/** A list response: one page of items and, when more remain, a `nextLink` back to the same path. */
export interface ListResult<T> {
  value: T[];
  nextLink: string | null;
}

/**
 * The list response: `value` and, when more remain, a `nextLink` back to the same path, with the list's own query
 * parameters (`&includePending=true`) kept.
 */
export function pageResponse<T, U>(
  scope: VaultScope,
  path: string,
  req: PageRequest,
  page: Page<T>,
  map: (t: T) => U,
  query = "",
): ListResult<U> {
  const nextLink = page.next
    ? `${scope.vaultUrl}${path}?api-version=${scope.apiVersion}&$skiptoken=${Buffer.from(page.next).toString("base64url")}&maxresults=${req.limit}${query}`
    : null;
  return { value: page.items.map(map), nextLink };
}

/** A name with its newest version, as listings and deleted-object answers show it. */
export interface NameWithNewest<S, A, D> {
  record: NameRecord<S>;
  latest: VersionRecord<A, D>;
}

/** Live or deleted names of a collection with their newest version, one page. */
export async function listNewest<S, A, D>(
  scope: ObjectScope,
  c: ObjectCollection,
  page: PageRequest,
  deleted: boolean,
): Promise<Page<NameWithNewest<S, A, D>>> {
  const names = await scope.store.objects.listNames<S>(scope.vault.name, c.type, { deleted, ...page });
  const items: NameWithNewest<S, A, D>[] = [];
  for (const record of names.items) {
    const latest = await scope.store.objects.getVersion<A, D>(scope.vault.name, c.type, record.name);
    if (latest) items.push({ record, latest });
  }
  return { items, next: names.next };
}
