// Event subscriptions, the delivery queue (webhook events and e-mail share it) and the marks that make the expiry
// sweep fire once per version. Deliveries are claimed with a lease: a conditional UPDATE only one node's wins, on
// SQLite and on PostgreSQL alike (PostgreSQL re-checks the WHERE on the row it locked), so one node delivers a row.
import type { Sealer } from "../../crypto/sealing.js";
import type { Executor } from "../executor.js";
import type { Database } from "../schema.js";
import type { ObjectKind } from "./objects.js";

export interface SubscriptionRecord<P = Record<string, unknown>> {
  /** The subscription's resource id, lower-cased. */
  idKey: string;
  vault: string;
  name: string;
  properties: P;
  /** The HMAC key deliveries are signed with. */
  secret: Buffer;
  createdAt: number;
}

export type DeliveryChannel = "webhook" | "mail";

export interface DeliveryRecord {
  id: string;
  channel: DeliveryChannel;
  /** The subscription's id key (webhook), null for mail. */
  subscription: string | null;
  vault: string;
  eventType: string;
  /** The event as delivered (JSON), or the e-mail message (JSON). */
  payload: string;
  state: "pending" | "dead";
  attempts: number;
  nextAttemptAt: number;
  /** Past this time the delivery is dead-lettered instead of tried again (the subscription's event time-to-live). */
  expiresAt: number;
  lastError: string | null;
  createdAt: number;
}

/** A version whose `exp` (ms) has come within reach of a sweep, not yet marked with the sweep's mark. */
export interface ExpiringVersion {
  vault: string;
  kind: ObjectKind;
  name: string;
  version: string;
  expiresAt: number;
  /** A certificate's own key or secret: its events are the certificate's. */
  managed: boolean;
}

const secretContext = (idKey: string) => `event-subscription/${idKey}`;

export class EventsRepository {
  constructor(
    private readonly db: Executor,
    private readonly sealer: Sealer,
  ) {}

  // -- subscriptions --------------------------------------------------------------------------
  async putSubscription<P>(s: SubscriptionRecord<P>): Promise<void> {
    const values = {
      id_key: s.idKey,
      vault: s.vault,
      name: s.name,
      properties: JSON.stringify(s.properties),
      sealed_secret: this.sealer.seal(s.secret, secretContext(s.idKey)),
      created_at: s.createdAt,
    };
    await this.db
      .insertInto("event_subscriptions")
      .values(values)
      .onConflict((oc) => oc.column("id_key").doUpdateSet({ properties: values.properties }))
      .execute();
  }

  /** A new subscription's properties; false when there is no such subscription (any more). */
  async updateSubscription<P>(idKey: string, properties: P): Promise<boolean> {
    const res = await this.db
      .updateTable("event_subscriptions")
      .set({ properties: JSON.stringify(properties) })
      .where("id_key", "=", idKey)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async countSubscriptions(vault: string): Promise<number> {
    const row = await this.db
      .selectFrom("event_subscriptions")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("vault", "=", vault)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async getSubscription<P>(idKey: string): Promise<SubscriptionRecord<P> | undefined> {
    const row = await this.db
      .selectFrom("event_subscriptions")
      .selectAll()
      .where("id_key", "=", idKey)
      .executeTakeFirst();
    return row && this.toSubscription<P>(row);
  }

  async listSubscriptions<P>(vault: string): Promise<SubscriptionRecord<P>[]> {
    const rows = await this.db
      .selectFrom("event_subscriptions")
      .selectAll()
      .where("vault", "=", vault)
      .orderBy("id_key")
      .execute();
    return rows.map((r) => this.toSubscription<P>(r));
  }

  /** The vaults that have any subscription: publishing skips every other vault without a query. */
  async vaultsWithSubscriptions(): Promise<string[]> {
    const rows = await this.db.selectFrom("event_subscriptions").select("vault").distinct().execute();
    return rows.map((r) => r.vault);
  }

  async deleteSubscription(idKey: string): Promise<boolean> {
    await this.db.deleteFrom("event_deliveries").where("subscription", "=", idKey).execute();
    const res = await this.db.deleteFrom("event_subscriptions").where("id_key", "=", idKey).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  // -- the queue ------------------------------------------------------------------------------
  async enqueue(rows: readonly Omit<DeliveryRecord, "state" | "attempts" | "lastError">[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db
      .insertInto("event_deliveries")
      .values(
        rows.map((r) => ({
          id: r.id,
          channel: r.channel,
          subscription: r.subscription,
          vault: r.vault,
          event_type: r.eventType,
          payload: r.payload,
          state: "pending",
          attempts: 0,
          next_attempt_at: r.nextAttemptAt,
          expires_at: r.expiresAt,
          lease_owner: null,
          lease_until: null,
          last_error: null,
          created_at: r.createdAt,
        })),
      )
      .execute();
  }

  /**
   * Pending deliveries due at `now` (the clock retries are scheduled by) whose lease (if any) has run out at
   * `leaseNow` (the system's clock: a lease measures real time, alike on every node), oldest first.
   */
  async dueDeliveries(now: number, leaseNow: number, limit: number): Promise<DeliveryRecord[]> {
    const rows = await this.db
      .selectFrom("event_deliveries")
      .selectAll()
      .where("state", "=", "pending")
      .where("next_attempt_at", "<=", now)
      .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<", leaseNow)]))
      .orderBy("next_attempt_at")
      .limit(limit)
      .execute();
    return rows.map(toDelivery);
  }

  /**
   * Takes the delivery for `owner` until `leaseUntil` if it is still due at `due` with no lease at `now`; false when
   * another node holds it, has tried it since it was read (and put it off), or delivered it.
   */
  async claim(id: string, owner: string, t: { due: number; now: number; leaseUntil: number }): Promise<boolean> {
    const { now, leaseUntil } = t;
    const res = await this.db
      .updateTable("event_deliveries")
      .set({ lease_owner: owner, lease_until: leaseUntil })
      .where("id", "=", id)
      .where("state", "=", "pending")
      .where("next_attempt_at", "<=", t.due)
      .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<", now)]))
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Delivered: the row goes (the metrics count it). */
  async complete(id: string, owner: string): Promise<void> {
    await this.db.deleteFrom("event_deliveries").where("id", "=", id).where("lease_owner", "=", owner).execute();
  }

  /** A failed attempt: tried again at `nextAttemptAt`, or with `dead` kept as the dead-letter record. */
  async fail(
    id: string,
    owner: string,
    f: { attempts: number; error: string; nextAttemptAt: number; dead: boolean },
  ): Promise<void> {
    await this.db
      .updateTable("event_deliveries")
      .set({
        state: f.dead ? "dead" : "pending",
        attempts: f.attempts,
        last_error: f.error,
        next_attempt_at: f.nextAttemptAt,
        lease_owner: null,
        lease_until: null,
      })
      .where("id", "=", id)
      .where("lease_owner", "=", owner)
      .execute();
  }

  /** Dead letters, newest first, optionally of one vault. */
  async listDeadLetters(vault: string | undefined, limit: number): Promise<DeliveryRecord[]> {
    let q = this.db.selectFrom("event_deliveries").selectAll().where("state", "=", "dead");
    if (vault !== undefined) q = q.where("vault", "=", vault);
    const rows = await q.orderBy("next_attempt_at", "desc").limit(limit).execute();
    return rows.map(toDelivery);
  }

  async pruneDeadLetters(before: number): Promise<number> {
    const res = await this.db
      .deleteFrom("event_deliveries")
      .where("state", "=", "dead")
      .where("next_attempt_at", "<", before)
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  // -- once per version -----------------------------------------------------------------------
  /**
   * Versions of live names whose `exp` is at or before `before` and that do not carry `mark` yet; with
   * `exceptKeysMentioning`, not those of keys whose stored state contains it (another sweep marks them).
   */
  async expiringVersions(
    before: number,
    mark: string,
    limit: number,
    exceptKeysMentioning?: string,
  ): Promise<ExpiringVersion[]> {
    let q = this.db
      .selectFrom("object_versions as v")
      .innerJoin("object_names as n", (join) =>
        join.onRef("n.vault", "=", "v.vault").onRef("n.kind", "=", "v.kind").onRef("n.name_key", "=", "v.name_key"),
      )
      .leftJoin("event_marks as m", (join) =>
        join
          .onRef("m.vault", "=", "v.vault")
          .onRef("m.kind", "=", "v.kind")
          .onRef("m.name_key", "=", "v.name_key")
          .onRef("m.version", "=", "v.version")
          .on("m.mark", "=", mark),
      )
      .select(["v.vault", "v.kind", "v.name", "v.version", "v.expires_at", "n.state"])
      .where("v.expires_at", "<=", before)
      .where("n.deleted_at", "is", null)
      .where("m.mark", "is", null);
    if (exceptKeysMentioning !== undefined)
      q = q.where((eb) =>
        eb.not(eb.and([eb("v.kind", "=", "key"), eb("n.state", "like", `%${exceptKeysMentioning}%`)])),
      );
    const rows = await q.orderBy("v.expires_at").limit(limit).execute();
    return rows.map((r) => ({
      vault: r.vault,
      kind: r.kind as ObjectKind,
      name: r.name,
      version: r.version,
      expiresAt: Number(r.expires_at),
      managed: (JSON.parse(r.state) as { managed?: unknown }).managed === true,
    }));
  }

  /** Marks a version; false when it already carried the mark (another node, or an earlier run, got there first). */
  async mark(v: { vault: string; kind: string; name: string; version: string }, mark: string): Promise<boolean> {
    const res = await this.db
      .insertInto("event_marks")
      .values({ vault: v.vault, kind: v.kind, name_key: v.name.toLowerCase(), version: v.version, mark })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  private toSubscription<P>(r: Database["event_subscriptions"]): SubscriptionRecord<P> {
    return {
      idKey: r.id_key,
      vault: r.vault,
      name: r.name,
      properties: JSON.parse(r.properties) as P,
      secret: this.sealer.open(r.sealed_secret, secretContext(r.id_key)),
      createdAt: Number(r.created_at),
    };
  }
}

function toDelivery(r: Database["event_deliveries"]): DeliveryRecord {
  return {
    id: r.id,
    channel: r.channel as DeliveryChannel,
    subscription: r.subscription,
    vault: r.vault,
    eventType: r.event_type,
    payload: r.payload,
    state: r.state as DeliveryRecord["state"],
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    expiresAt: Number(r.expires_at),
    lastError: r.last_error,
    createdAt: Number(r.created_at),
  };
}
