// SQLite prepares a statement whose LIMIT or OFFSET is a bound parameter again on every run: the planner reads the
// bound value and marks the statement to be re-prepared whenever it is bound anew (which better-sqlite3 does on every
// call). That costs as much as preparing it (about 25 µs for the one-query secret read), so the statement cache
// would save nothing for any query with a limit. Written into the SQL as a number, a limit is part of the statement.
import {
  SqliteDialect,
  SqliteQueryCompiler,
  ValueNode,
  type LimitNode,
  type OffsetNode,
  type QueryCompiler,
} from "kysely";

/** The integer a LIMIT or OFFSET binds, or undefined when it is anything else (left to Kysely). */
function boundInteger(node: LimitNode["limit"]): number | undefined {
  return ValueNode.is(node) && !node.immediate && Number.isSafeInteger(node.value) ? (node.value as number) : undefined;
}

class LiteralLimitCompiler extends SqliteQueryCompiler {
  protected override visitLimit(node: LimitNode): void {
    const n = boundInteger(node.limit);
    if (n === undefined) super.visitLimit(node);
    else this.append(`limit ${n}`);
  }

  protected override visitOffset(node: OffsetNode): void {
    const n = boundInteger(node.offset);
    if (n === undefined) super.visitOffset(node);
    else this.append(`offset ${n}`);
  }
}

/** Kysely's SQLite dialect, writing LIMIT and OFFSET as numbers (see above). */
export class LiteralLimitSqliteDialect extends SqliteDialect {
  override createQueryCompiler(): QueryCompiler {
    return new LiteralLimitCompiler();
  }
}
