// The part of ARM's `$filter` on `/resources` that clients send: `field eq 'value'` clauses joined by `and`,
// over resourceType, name and resourceGroup (case-insensitive, as ARM compares them).
import { KeyVaultError } from "../http/errors.js";

const FIELDS = ["resourcetype", "name", "resourcegroup"] as const;

export type ResourceFilter = { field: (typeof FIELDS)[number]; value: string }[];

const CLAUSE = /^\s*(resourceType|name|resourceGroup)\s+eq\s+'((?:[^']|'')*)'\s*$/i;

/** `filter` is the query's `$filter` as parsed: absent, a string, or a list when it was given more than once. */
export function parseResourceFilter(filter: unknown): ResourceFilter {
  if (filter === undefined) return [];
  if (typeof filter !== "string")
    throw new KeyVaultError(400, "InvalidFilterInQueryString", "$filter must be given once.");
  if (filter.trim() === "") return [];
  return filter.split(/\s+and\s+/i).map((clause) => {
    const m = CLAUSE.exec(clause);
    const field = FIELDS.find((f) => f === m?.[1]?.toLowerCase());
    if (!m || !field) {
      throw new KeyVaultError(
        400,
        "InvalidFilterInQueryString",
        `Invalid $filter '${filter}' specified in the query string. Supported: resourceType, name and resourceGroup with 'eq', joined by 'and'.`,
      );
    }
    return { field, value: (m[2] ?? "").replace(/''/g, "'").toLowerCase() };
  });
}

export function matchesFilter(
  filter: ResourceFilter,
  resource: { type: string; name: string; resourceGroup: string },
): boolean {
  const values = { resourcetype: resource.type, name: resource.name, resourcegroup: resource.resourceGroup };
  return filter.every((c) => values[c.field].toLowerCase() === c.value);
}
