// The part of ARM's `$filter` on `/resources` that clients send: `field eq 'value'` clauses joined by `and`,
// over resourceType, name and resourceGroup (case-insensitive, as ARM compares them).
import { KeyVaultError } from "../http/errors.js";

export type ResourceFilter = { field: "resourcetype" | "name" | "resourcegroup"; value: string }[];

const CLAUSE = /^\s*(resourceType|name|resourceGroup)\s+eq\s+'((?:[^']|'')*)'\s*$/i;

export function parseResourceFilter(filter: string | undefined): ResourceFilter {
  if (filter === undefined || filter.trim() === "") return [];
  return filter.split(/\s+and\s+/i).map((clause) => {
    const m = CLAUSE.exec(clause);
    if (!m) {
      throw new KeyVaultError(
        400,
        "InvalidFilterInQueryString",
        `Invalid $filter '${filter}' specified in the query string. Supported: resourceType, name and resourceGroup with 'eq', joined by 'and'.`,
      );
    }
    return {
      field: m[1]!.toLowerCase() as ResourceFilter[number]["field"],
      value: m[2]!.replace(/''/g, "'").toLowerCase(),
    };
  });
}

export function matchesFilter(
  filter: ResourceFilter,
  resource: { type: string; name: string; resourceGroup: string },
): boolean {
  const values = { resourcetype: resource.type, name: resource.name, resourcegroup: resource.resourceGroup };
  return filter.every((c) => values[c.field].toLowerCase() === c.value);
}
