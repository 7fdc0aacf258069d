// The authorization_codes table: the ids of authorization codes already redeemed (identity/authorization-codes.ts),
// each until its expiry. Its primary key makes a code single-use across every node of a cluster.
import type { Executor } from "../executor.js";

export class AuthorizationCodesRepository {
  constructor(private readonly db: Executor) {}

  /** Records a code as redeemed: false when it already was (on any node). Codes past their expiry are forgotten. */
  async redeem(id: string, expiresAt: number, now = Date.now()): Promise<boolean> {
    await this.db.deleteFrom("authorization_codes").where("expires_at", "<", now).execute();
    const res = await this.db
      .insertInto("authorization_codes")
      .values({ id, expires_at: expiresAt })
      .onConflict((oc) => oc.column("id").doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  }
}
