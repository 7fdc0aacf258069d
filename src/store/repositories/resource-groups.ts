// The resource_groups table: ARM's resource groups, which vaults are created in.
import type { Executor } from "../executor.js";
import type { Database } from "../schema.js";

export interface ResourceGroupRecord {
  name: string;
  location: string;
  tags: Record<string, string>;
  createdAt: number;
}

export class ResourceGroupsRepository {
  constructor(private readonly db: Executor) {}

  async get(name: string): Promise<ResourceGroupRecord | undefined> {
    const row = await this.db
      .selectFrom("resource_groups")
      .selectAll()
      .where("name_key", "=", name.toLowerCase())
      .executeTakeFirst();
    return row && toResourceGroup(row);
  }

  async list(): Promise<ResourceGroupRecord[]> {
    const rows = await this.db.selectFrom("resource_groups").selectAll().orderBy("name_key").execute();
    return rows.map(toResourceGroup);
  }

  /** Creates the group, or replaces its tags (a group's name spelling and location never change). */
  async put(g: ResourceGroupRecord): Promise<void> {
    const tags = JSON.stringify(g.tags);
    await this.db
      .insertInto("resource_groups")
      .values({ name_key: g.name.toLowerCase(), name: g.name, location: g.location, tags, created_at: g.createdAt })
      .onConflict((oc) => oc.column("name_key").doUpdateSet({ tags }))
      .execute();
  }

  /** Holds the group's row until the transaction ends (as VaultsRepository.lock): a read-modify-write is one step. */
  async lock(name: string): Promise<void> {
    await this.db
      .updateTable("resource_groups")
      .set((eb) => ({ name_key: eb.ref("name_key") }))
      .where("name_key", "=", name.toLowerCase())
      .execute();
  }

  async delete(name: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom("resource_groups")
      .where("name_key", "=", name.toLowerCase())
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }
}

function toResourceGroup(r: Database["resource_groups"]): ResourceGroupRecord {
  return {
    name: r.name,
    location: r.location,
    tags: JSON.parse(r.tags) as Record<string, string>,
    createdAt: Number(r.created_at),
  };
}
