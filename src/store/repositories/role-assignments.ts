// The role_assignments and role_definitions tables: who holds which role at which scope, and the custom roles.
import type { Executor } from "../executor.js";

export interface RoleAssignmentRecord {
  /** A GUID, unique across every scope. */
  name: string;
  scope: string;
  principalId: string;
  principalType: PrincipalType;
  roleDefinitionId: string;
}

/** What an assignment's principal is (ARM's PrincipalType). */
export const PRINCIPAL_TYPES = ["User", "Group", "ServicePrincipal", "ForeignGroup", "Device"] as const;
export type PrincipalType = (typeof PRINCIPAL_TYPES)[number];

export class RoleAssignmentsRepository {
  constructor(private readonly db: Executor) {}

  async list(): Promise<RoleAssignmentRecord[]> {
    const rows = await this.db
      .selectFrom("role_assignments")
      .selectAll()
      .orderBy("created_at")
      .orderBy("name")
      .execute();
    return rows.map((r) => ({
      name: r.name,
      scope: r.scope,
      principalId: r.principal_id,
      principalType: r.principal_type as PrincipalType,
      roleDefinitionId: r.role_definition_id,
    }));
  }

  /** Inserts the assignment unless one of that name exists (then false): one statement, so concurrent writers never lose a row. */
  async insert(a: RoleAssignmentRecord): Promise<boolean> {
    const res = await this.db
      .insertInto("role_assignments")
      .values({
        name: a.name,
        scope: a.scope,
        principal_id: a.principalId,
        principal_type: a.principalType,
        role_definition_id: a.roleDefinitionId,
        created_at: Date.now(),
      })
      .onConflict((oc) => oc.column("name").doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async delete(name: string): Promise<boolean> {
    const res = await this.db.deleteFrom("role_assignments").where("name", "=", name).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  // -- custom role definitions: what an assignment's roleDefinitionId names, when it is not a built-in role ------
  async listDefinitions<R>(): Promise<R[]> {
    const rows = await this.db.selectFrom("role_definitions").select("definition").orderBy("role_name_key").execute();
    return rows.map((r) => JSON.parse(r.definition) as R);
  }

  /**
   * Holds the custom role's row until the transaction ends (a PostgreSQL row lock; SQLite runs one write at a time), so
   * that assigning, changing and deleting the role are serialized across nodes. False when there is no such row.
   */
  async lockDefinition(id: string): Promise<boolean> {
    const res = await this.db
      .updateTable("role_definitions")
      .set((eb) => ({ id: eb.ref("id") }))
      .where("id", "=", id)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Creates or replaces a custom role; false when another role holds its name (the name is unique, case-insensitively). */
  async putDefinition<R extends { id: string; roleName: string }>(role: R): Promise<boolean> {
    const values = { id: role.id, role_name_key: role.roleName.toLowerCase(), definition: JSON.stringify(role) };
    const taken = await this.db
      .selectFrom("role_definitions")
      .select("id")
      .where("role_name_key", "=", values.role_name_key)
      .where("id", "!=", role.id)
      .executeTakeFirst();
    if (taken) return false;
    // A concurrent writer may take the name between the check and the write: the unique index refuses it then.
    const res = await this.db
      .insertInto("role_definitions")
      .values(values)
      .onConflict((oc) =>
        oc.column("id").doUpdateSet({ role_name_key: values.role_name_key, definition: values.definition }),
      )
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async deleteDefinition(id: string): Promise<boolean> {
    const res = await this.db.deleteFrom("role_definitions").where("id", "=", id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }
}
