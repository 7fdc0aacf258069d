// The vaults table: ARM's Microsoft.KeyVault/vaults, live and soft-deleted.
import type { Executor } from "../executor.js";
import type { OpenedKeys } from "../opened-keys.js";
import type { Database } from "../schema.js";

export interface VaultRecord<P = Record<string, unknown>> {
  name: string;
  id: string;
  location: string;
  resourceGroup: string;
  properties: P;
  tags: Record<string, string>;
  createdAt: number;
  /** Set while the vault is soft-deleted. */
  deletedAt?: number | null;
  scheduledPurgeAt?: number | null;
}

export class VaultsRepository {
  constructor(
    private readonly db: Executor,
    /** Keys' opened private keys (objects.ts): a deleted vault's go at once. */
    private readonly openedKeys: OpenedKeys,
  ) {}

  /** The live vault of that name, or with `deleted` the soft-deleted one. */
  async get<P>(name: string, deleted = false): Promise<VaultRecord<P> | undefined> {
    const row = await this.db
      .selectFrom("vaults")
      .selectAll()
      .where("name", "=", name)
      .where("deleted_at", deleted ? "is not" : "is", null)
      .executeTakeFirst();
    return row && toVault<P>(row);
  }

  /** Live vaults, or with `deleted` the soft-deleted ones. */
  async list<P>(deleted = false): Promise<VaultRecord<P>[]> {
    const rows = await this.db
      .selectFrom("vaults")
      .selectAll()
      .where("deleted_at", deleted ? "is not" : "is", null)
      .orderBy("name")
      .execute();
    return rows.map((r) => toVault<P>(r));
  }

  /**
   * Holds the vault's row until the transaction ends (a PostgreSQL row lock; SQLite runs one write at a time), so that
   * a check of what the vault holds and the write it allows are one step across nodes.
   */
  async lock(name: string): Promise<void> {
    await this.db
      .updateTable("vaults")
      .set((eb) => ({ name: eb.ref("name") }))
      .where("name", "=", name)
      .execute();
  }

  /** Marks a vault deleted (or, with nulls, recovered); its contents stay untouched. */
  async setDeleted(name: string, deletedAt: number | null, scheduledPurgeAt: number | null): Promise<boolean> {
    const res = await this.db
      .updateTable("vaults")
      .set({ deleted_at: deletedAt, scheduled_purge_at: scheduledPurgeAt })
      .where("name", "=", name)
      .executeTakeFirst();
    if (deletedAt !== null) this.openedKeys.forget(name);
    return Number(res.numUpdatedRows) > 0;
  }

  /** Soft-deleted vaults whose scheduled purge date has passed. */
  async listExpired(now: number): Promise<string[]> {
    const rows = await this.db.selectFrom("vaults").select("name").where("scheduled_purge_at", "<=", now).execute();
    return rows.map((r) => r.name);
  }

  async put<P>(v: VaultRecord<P>): Promise<void> {
    const values = {
      name: v.name,
      id: v.id,
      location: v.location,
      resource_group: v.resourceGroup,
      properties: JSON.stringify(v.properties),
      tags: JSON.stringify(v.tags),
      created_at: v.createdAt,
      deleted_at: v.deletedAt ?? null,
      scheduled_purge_at: v.scheduledPurgeAt ?? null,
    };
    await this.db
      .insertInto("vaults")
      .values(values)
      .onConflict((oc) => oc.column("name").doUpdateSet({ properties: values.properties, tags: values.tags }))
      .execute();
  }

  /** Purge: removes the vault and everything in it. */
  async delete(name: string): Promise<boolean> {
    // Its event subscriptions, their queued deliveries and the expiry sweep's marks go too (events.ts).
    for (const table of ["event_deliveries", "event_subscriptions", "event_marks"] as const)
      await this.db.deleteFrom(table).where("vault", "=", name).execute();
    await this.db.deleteFrom("object_versions").where("vault", "=", name).execute();
    await this.db.deleteFrom("object_names").where("vault", "=", name).execute();
    const res = await this.db.deleteFrom("vaults").where("name", "=", name).executeTakeFirst();
    this.openedKeys.forget(name);
    return Number(res.numDeletedRows) > 0;
  }
}

function toVault<P>(r: Database["vaults"]): VaultRecord<P> {
  return {
    name: r.name,
    id: r.id,
    location: r.location,
    resourceGroup: r.resource_group,
    properties: JSON.parse(r.properties) as P,
    tags: JSON.parse(r.tags) as Record<string, string>,
    createdAt: Number(r.created_at),
    deletedAt: r.deleted_at === null ? null : Number(r.deleted_at),
    scheduledPurgeAt: r.scheduled_purge_at === null ? null : Number(r.scheduled_purge_at),
  };
}
