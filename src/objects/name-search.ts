// Kluis's extension to Key Vault's lists of certificates, keys and secrets (live and deleted), which have neither a
// filter nor a count: `kluisSearch=TEXT` lists only the names containing TEXT (case-insensitively) and is carried in
// every nextLink; `kluisCount=true` adds `kluisCount`, how many names the whole list holds. Both are on the list
// operations themselves, under their permission (list); a client that sends neither sees Key Vault's answer.
import { badParameter } from "../http/errors.js";
import { isObjectName } from "../http/object-names.js";
import type { Query } from "../http/route.js";
import type { Page } from "../store/repositories/objects.js";
import type { ObjectCollection } from "./collection.js";
import { pageResponse, readPageRequest, type ListResult, type PageRequest } from "./paging.js";
import type { VaultScope } from "./scope.js";

const SEARCH_PARAMETER = "kluisSearch";
const COUNT_PARAMETER = "kluisCount";

/** `kluisSearch`: absent or empty for none; else a name's characters (no LIKE wildcard can reach the store). */
function readSearch(query: Query): string | undefined {
  const text = query[SEARCH_PARAMETER];
  if (text === undefined || text === "") return undefined;
  if (typeof text !== "string" || !isObjectName(text)) {
    throw badParameter(
      `Invalid value for ${SEARCH_PARAMETER}: it must be 1 to 127 characters, each a letter, a digit or '-'.`,
    );
  }
  return text;
}

function readCount(query: Query): boolean {
  const flag = query[COUNT_PARAMETER];
  if (flag === undefined || flag === "" || flag === "false") return false;
  if (flag === "true") return true;
  throw badParameter(`Invalid value for ${COUNT_PARAMETER}: it must be true or false.`);
}

/**
 * A list of live or deleted names of a collection, answered as Key Vault does, with the search applied and kept in
 * the nextLink, and the count when asked for. `list` reads one page, `map` makes an item's JSON; `pathQuery`
 * is the list's own parameters.
 */
export async function searchableList<T, U>(
  scope: VaultScope,
  query: Query,
  of: { collection: ObjectCollection; deleted: boolean; pathQuery?: string },
  list: (scope: VaultScope, page: PageRequest) => Promise<Page<T>>,
  map: (scope: VaultScope, t: T) => U,
): Promise<ListResult<U> & { kluisCount?: number }> {
  const { collection, deleted } = of;
  const search = readSearch(query);
  const count = readCount(query);
  const page: PageRequest = { ...readPageRequest(query), search };
  const path = `/${deleted ? collection.deletedCollection : collection.collection}`;
  const carried = `${of.pathQuery ?? ""}${search === undefined ? "" : `&${SEARCH_PARAMETER}=${search}`}`;
  const answer = pageResponse(scope, path, page, await list(scope, page), (t) => map(scope, t), carried);
  if (!count) return answer;
  const filter = { deleted, search };
  return { ...answer, kluisCount: await scope.store.objects.countNames(scope.vault.name, collection.type, filter) };
}
