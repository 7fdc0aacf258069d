// SQLite prepares a statement whose LIMIT or OFFSET is a bound parameter again on every run: the planner reads the
// bound value and marks the statement to be re-prepared whenever it is bound anew (which better-sqlite3 does on every
// call). That costs as much as preparing it (about 25 µs for the one-query secret read), so the statement cache
// would save nothing for any query with a limit. Written into the SQL as a number, a limit is part of the statement.
import {
  SelectQueryNode,
  ValueNode,
  type KyselyPlugin,
  type OperationNode,
  type PluginTransformQueryArgs,
  type RootOperationNode,
} from "kysely";

/** A bound integer becomes a literal one; anything else stays as it is. */
function literal<T extends { [K in F]: OperationNode }, F extends string>(node: T, field: F): T {
  const value = node[field] as OperationNode;
  if (!ValueNode.is(value) || value.immediate || !Number.isSafeInteger(value.value)) return node;
  return { ...node, [field]: ValueNode.createImmediate(value.value) };
}

/** LIMIT and OFFSET of a SELECT written as numbers in its SQL (see above). */
export const literalLimits: KyselyPlugin = {
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    if (!SelectQueryNode.is(node) || (!node.limit && !node.offset)) return node;
    return {
      ...node,
      ...(node.limit ? { limit: literal(node.limit, "limit") } : {}),
      ...(node.offset ? { offset: literal(node.offset, "offset") } : {}),
    };
  },
  async transformResult({ result }) {
    return result;
  },
};
