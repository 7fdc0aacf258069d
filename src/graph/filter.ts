// The OData `$filter` clauses az sends to Microsoft Graph, joined by `and`:
//   appId eq 'X', displayName eq 'X', startswith(displayName,'X'), servicePrincipalNames/any(c:c eq 'X'),
//   identifierUris/any(s:s eq 'X'), userPrincipalName eq 'X', mail eq 'X', startswith(userPrincipalName,'X').
// Anything else is refused as Graph refuses a query it does not support.
import { GraphError } from "./errors.js";

/** What a directory object offers to a filter: an application's properties, or a user's. */
export interface Filterable {
  displayName: string;
  appId?: string;
  servicePrincipalNames?: readonly string[];
  identifierUris?: readonly string[];
  userPrincipalName?: string;
  mail?: string | null;
}

export type Predicate = (o: Filterable) => boolean;

/** A quoted OData string: '' stands for one quote. */
const STRING = String.raw`'((?:[^']|'')*)'`;
const CLAUSES: [RegExp, (value: string) => Predicate][] = [
  [new RegExp(String.raw`^appId\s+eq\s+${STRING}$`, "i"), (v) => (o) => same(o.appId, v)],
  [new RegExp(String.raw`^displayName\s+eq\s+${STRING}$`, "i"), (v) => (o) => same(o.displayName, v)],
  [
    new RegExp(String.raw`^startswith\(\s*displayName\s*,\s*${STRING}\s*\)$`, "i"),
    (v) => (o) => o.displayName.toLowerCase().startsWith(v.toLowerCase()),
  ],
  [
    new RegExp(String.raw`^servicePrincipalNames/any\(\s*(\w+)\s*:\s*\1\s+eq\s+${STRING}\s*\)$`, "i"),
    (v) => (o) => (o.servicePrincipalNames ?? []).some((n) => same(n, v)),
  ],
  [
    new RegExp(String.raw`^identifierUris/any\(\s*(\w+)\s*:\s*\1\s+eq\s+${STRING}\s*\)$`, "i"),
    (v) => (o) => (o.identifierUris ?? []).some((n) => same(n, v)),
  ],
  [new RegExp(String.raw`^userPrincipalName\s+eq\s+${STRING}$`, "i"), (v) => (o) => same(o.userPrincipalName, v)],
  [
    new RegExp(String.raw`^startswith\(\s*userPrincipalName\s*,\s*${STRING}\s*\)$`, "i"),
    (v) => (o) => (o.userPrincipalName ?? "").toLowerCase().startsWith(v.toLowerCase()),
  ],
  [new RegExp(String.raw`^mail\s+eq\s+${STRING}$`, "i"), (v) => (o) => same(o.mail, v)],
];
/** Graph compares strings without regard to case; an absent property equals nothing. */
const same = (a: string | null | undefined, b: string) => typeof a === "string" && a.toLowerCase() === b.toLowerCase();

/** Longer filters are refused unread (az's longest is four clauses of a name each). */
const MAX_FILTER_LENGTH = 2048;

/** A predicate for a `$filter` value; an unsupported or malformed filter is a 400 in Graph's shape. */
export function parseFilter(filter: string): Predicate {
  if (filter.length > MAX_FILTER_LENGTH) throw unsupported();
  const predicates = splitAnd(filter).map((clause) => {
    for (const [pattern, build] of CLAUSES) {
      const m = pattern.exec(clause);
      if (m) return build(m[m.length - 1]!.replaceAll("''", "'"));
    }
    throw unsupported();
  });
  return (o) => predicates.every((p) => p(o));
}

/** Splits on ` and ` outside quoted strings. */
function splitAnd(filter: string): string[] {
  const clauses: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < filter.length; i++) {
    if (filter[i] === "'")
      quoted = !quoted; // '' inside a string toggles twice: still quoted
    else if (!quoted && /\s/.test(filter[i]!)) {
      const and = /^\s+and\s+/i.exec(filter.slice(i, i + 64));
      if (and) {
        clauses.push(filter.slice(start, i));
        start = i + and[0].length;
        i = start - 1;
      }
    }
  }
  clauses.push(filter.slice(start));
  return clauses.map((c) => c.trim());
}

const unsupported = () =>
  new GraphError(400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified.");
