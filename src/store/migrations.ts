// Schema, written with Kysely's builder so one migration serves SQLite and PostgreSQL.
import { Kysely, Migrator, sql, type Migration, type MigrationProvider } from "kysely";

const OLD_UAA_ID = "18d7d88d-d35e-4fb5-a5c3-7773c6a72a9d";
const UAA_ID = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9";

const migrations: Record<string, Migration> = {
  "0001_initial": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("settings")
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("value", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("principals")
        .addColumn("object_id", "text", (c) => c.primaryKey())
        .addColumn("app_id", "text", (c) => c.notNull().unique())
        .addColumn("display_name", "text", (c) => c.notNull())
        .addColumn("secret_hash", "text", (c) => c.notNull())
        .addColumn("is_admin", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("vaults")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("id", "text", (c) => c.notNull())
        .addColumn("location", "text", (c) => c.notNull())
        .addColumn("resource_group", "text", (c) => c.notNull())
        .addColumn("properties", "text", (c) => c.notNull())
        .addColumn("tags", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("object_names")
        .addColumn("vault", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("deleted_at", "bigint")
        .addColumn("scheduled_purge_at", "bigint")
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("sealed_state", "text")
        .addPrimaryKeyConstraint("object_names_pk", ["vault", "kind", "name"])
        .execute();
      await db.schema
        .createTable("object_versions")
        .addColumn("vault", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("version", "text", (c) => c.notNull())
        .addColumn("seq", "bigint", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addColumn("attributes", "text", (c) => c.notNull())
        .addColumn("tags", "text", (c) => c.notNull())
        .addColumn("data", "text", (c) => c.notNull())
        .addColumn("sealed", "text")
        .addPrimaryKeyConstraint("object_versions_pk", ["vault", "kind", "name", "version"])
        .execute();
      await db.schema
        .createIndex("object_versions_by_seq")
        .on("object_versions")
        .columns(["vault", "kind", "name", "seq"])
        .execute();
    },
  },
  // Vaults are soft-deleted too: kept, with everything in them, until purged or their retention ends.
  "0002_vault_soft_delete": {
    async up(db: Kysely<any>) {
      await db.schema.alterTable("vaults").addColumn("deleted_at", "bigint").execute();
      await db.schema.alterTable("vaults").addColumn("scheduled_purge_at", "bigint").execute();
    },
  },
  // Key Vault object names are case-insensitive: rows are keyed by the lower-cased name (`name_key`), and `name`
  // keeps the spelling the object was created with. The tables are rebuilt because SQLite cannot change a primary key.
  "0003_case_insensitive_names": {
    async up(db: Kysely<any>) {
      await db.schema.alterTable("object_names").renameTo("object_names_0002").execute();
      await db.schema
        .createTable("object_names")
        .addColumn("vault", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("name_key", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("deleted_at", "bigint")
        .addColumn("scheduled_purge_at", "bigint")
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("sealed_state", "text")
        .addPrimaryKeyConstraint("object_names_key_pk", ["vault", "kind", "name_key"])
        .execute();
      await sql`INSERT INTO object_names (vault, kind, name_key, name, deleted_at, scheduled_purge_at, state, sealed_state)
        SELECT vault, kind, lower(name), name, deleted_at, scheduled_purge_at, state, sealed_state FROM object_names_0002`.execute(
        db,
      );
      await db.schema.dropTable("object_names_0002").execute();

      await db.schema.dropIndex("object_versions_by_seq").execute();
      await db.schema.alterTable("object_versions").renameTo("object_versions_0002").execute();
      await db.schema
        .createTable("object_versions")
        .addColumn("vault", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("name_key", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("version", "text", (c) => c.notNull())
        .addColumn("seq", "bigint", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addColumn("attributes", "text", (c) => c.notNull())
        .addColumn("tags", "text", (c) => c.notNull())
        .addColumn("data", "text", (c) => c.notNull())
        .addColumn("sealed", "text")
        .addPrimaryKeyConstraint("object_versions_key_pk", ["vault", "kind", "name_key", "version"])
        .execute();
      await sql`INSERT INTO object_versions (vault, kind, name_key, name, version, seq, created_at, updated_at, attributes, tags, data, sealed)
        SELECT vault, kind, lower(name), name, version, seq, created_at, updated_at, attributes, tags, data, sealed FROM object_versions_0002`.execute(
        db,
      );
      await db.schema.dropTable("object_versions_0002").execute();
      await db.schema
        .createIndex("object_versions_by_seq")
        .on("object_versions")
        .columns(["vault", "kind", "name_key", "seq"])
        .execute();
      await db.schema
        .createIndex("object_names_by_purge_date")
        .on("object_names")
        .column("scheduled_purge_at")
        .execute();
    },
  },
  // A principal's credential generation moves on with every credential reset; a token carries the generation it was
  // issued under, so that a reset revokes the tokens issued before it (identity/principal-states.ts).
  "0004_principal_credential_generation": {
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable("principals")
        .addColumn("credential_generation", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
    },
  },
  // Resource groups: vaults live in one, as in ARM. Every group an existing vault names is created, in the vault's
  // location, so stores written before groups existed keep working.
  "0005_resource_groups": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("resource_groups")
        .addColumn("name_key", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("location", "text", (c) => c.notNull())
        .addColumn("tags", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      const rows = await sql<{ resource_group: string; location: string; created_at: number }>`
        SELECT resource_group, min(location) AS location, min(created_at) AS created_at FROM vaults GROUP BY resource_group`.execute(
        db,
      );
      const seen = new Set<string>();
      for (const r of rows.rows) {
        const key = r.resource_group.toLowerCase();
        if (seen.has(key)) continue;
        seen.add(key);
        await db
          .insertInto("resource_groups")
          .values({
            name_key: key,
            name: r.resource_group,
            location: r.location,
            tags: "{}",
            created_at: Number(r.created_at),
          })
          .execute();
      }
    },
  },
  // People who sign in (identity/users.ts). The UPN is unique without regard to case, as in Entra (`upn_key` is it
  // lower-cased); the password is a slow salted hash, as client secrets are; the credential generation revokes tokens
  // as a principal's does.
  "0006_users": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("users")
        .addColumn("object_id", "text", (c) => c.primaryKey())
        .addColumn("upn_key", "text", (c) => c.notNull().unique())
        .addColumn("user_principal_name", "text", (c) => c.notNull())
        .addColumn("display_name", "text", (c) => c.notNull())
        .addColumn("mail_nickname", "text", (c) => c.notNull())
        .addColumn("password_hash", "text", (c) => c.notNull())
        .addColumn("account_enabled", "integer", (c) => c.notNull().defaultTo(1))
        .addColumn("is_admin", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("credential_generation", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
    },
  },
  // Role assignments and custom roles were JSON lists in two settings rows, rewritten whole on every change: two nodes
  // writing at once could lose one's change. Each now is a row of its own; the lists are carried over, then dropped.
  "0007_role_tables": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("role_assignments")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("scope", "text", (c) => c.notNull())
        .addColumn("principal_id", "text", (c) => c.notNull())
        .addColumn("role_definition_id", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("role_assignments_by_principal")
        .on("role_assignments")
        .column("principal_id")
        .execute();
      await db.schema
        .createTable("role_definitions")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("role_name_key", "text", (c) => c.notNull().unique())
        .addColumn("definition", "text", (c) => c.notNull())
        .execute();
      const setting = async (key: string) => {
        const row = await db.selectFrom("settings").select("value").where("key", "=", key).executeTakeFirst();
        return row ? (JSON.parse(row.value as string) as Record<string, any>[]) : [];
      };
      const now = Date.now();
      for (const a of await setting("role_assignments")) {
        await db
          .insertInto("role_assignments")
          .values({
            name: a.name,
            scope: a.scope,
            principal_id: a.principalId,
            role_definition_id: a.roleDefinitionId,
            created_at: now,
          })
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
      for (const r of await setting("custom_roles")) {
        await db
          .insertInto("role_definitions")
          .values({ id: r.id, role_name_key: String(r.roleName).toLowerCase(), definition: JSON.stringify(r) })
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
      await db.deleteFrom("settings").where("key", "in", ["role_assignments", "custom_roles"]).execute();
    },
  },
  // The audit log (audit/log.ts): one row per call, chained per node by an HMAC over the row and the previous row's.
  "0008_audit_log": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("audit_entries")
        .addColumn("node_id", "text", (c) => c.notNull())
        .addColumn("seq", "bigint", (c) => c.notNull())
        .addColumn("time", "bigint", (c) => c.notNull())
        .addColumn("vault", "text")
        .addColumn("caller", "text")
        .addColumn("operation_name", "text", (c) => c.notNull())
        .addColumn("entry", "text", (c) => c.notNull())
        .addColumn("prev_mac", "text", (c) => c.notNull())
        .addColumn("mac", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("audit_entries_pk", ["node_id", "seq"])
        .execute();
      await db.schema.createIndex("audit_entries_by_time").on("audit_entries").column("time").execute();
    },
  },
  "0009_events": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("event_subscriptions")
        .addColumn("id_key", "text", (c) => c.primaryKey())
        .addColumn("vault", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("properties", "text", (c) => c.notNull())
        .addColumn("sealed_secret", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("event_subscriptions_by_vault").on("event_subscriptions").column("vault").execute();
      await db.schema
        .createTable("event_deliveries")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("channel", "text", (c) => c.notNull())
        .addColumn("subscription", "text")
        .addColumn("vault", "text", (c) => c.notNull())
        .addColumn("event_type", "text", (c) => c.notNull())
        .addColumn("payload", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull())
        .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("lease_owner", "text")
        .addColumn("lease_until", "bigint")
        .addColumn("last_error", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("event_deliveries_due")
        .on("event_deliveries")
        .columns(["state", "next_attempt_at"])
        .execute();
      // What the expiry sweep and EmailContacts already did for a version: each fires once per version, on one node.
      await db.schema
        .createTable("event_marks")
        .addColumn("vault", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("name_key", "text", (c) => c.notNull())
        .addColumn("version", "text", (c) => c.notNull())
        .addColumn("mark", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("event_marks_pk", ["vault", "kind", "name_key", "version", "mark"])
        .execute();
      // A version's `exp`, copied out of its attributes so that the expiry sweep reads only what nears expiry.
      await db.schema.alterTable("object_versions").addColumn("expires_at", "bigint").execute();
      await db.schema.createIndex("object_versions_by_expiry").on("object_versions").column("expires_at").execute();
      // Keyset pages in primary-key order: a large store is read once, never held in memory.
      const key = ["vault", "kind", "name_key", "version"] as const;
      let after: [string, string, string, string] | undefined;
      for (;;) {
        let q = db.selectFrom("object_versions").select([...key, "attributes"]);
        if (after) q = q.where((eb) => eb(eb.refTuple(...key), ">", eb.tuple(...after!)));
        const rows = await q
          .orderBy("vault")
          .orderBy("kind")
          .orderBy("name_key")
          .orderBy("version")
          .limit(1000)
          .execute();
        if (rows.length === 0) break;
        for (const r of rows) {
          const exp = (JSON.parse(r.attributes as string) as { exp?: unknown }).exp;
          if (typeof exp !== "number") continue;
          await db
            .updateTable("object_versions")
            .set({ expires_at: exp * 1000 })
            .where("vault", "=", r.vault)
            .where("kind", "=", r.kind)
            .where("name_key", "=", r.name_key)
            .where("version", "=", r.version)
            .execute();
        }
        const last = rows[rows.length - 1]!;
        after = [last.vault, last.kind, last.name_key, last.version];
      }
    },
  },
  // Authorization codes redeemed (identity/authorization-codes.ts): a code is sealed and self-contained, and this row,
  // written on any node, makes it single-use across the cluster until it expires.
  "0011_authorization_codes": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("authorization_codes")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .execute();
    },
  },
  // Kluis gave User Access Administrator a wrong id before this (…7773c6a72a9d; Azure's is …7773c20a72d9): assignments
  // stored under the old one are moved to Azure's, so they keep granting the role.
  "0012_user_access_administrator_id": {
    async up(db: Kysely<any>) {
      await db
        .updateTable("role_assignments")
        .set({ role_definition_id: sql`replace(role_definition_id, ${OLD_UAA_ID}, ${UAA_ID})` })
        .where("role_definition_id", "like", `%${OLD_UAA_ID}`)
        .execute();
    },
  },
  // Lists of names, their counts and Kluis's name search (objects/name-search.ts) read a vault's live or deleted names
  // of one kind in name order: this index holds exactly that, so a count or a search reads only the index, and a
  // list of the few deleted names no longer walks every live one.
  "0013_object_names_listing": {
    async up(db: Kysely<any>) {
      await db.schema
        .createIndex("object_names_listing")
        .on("object_names")
        .columns(["vault", "kind", "deleted_at", "name_key"])
        .execute();
    },
  },
  // An assignment names what its principal is, as Azure's do (a user's was shown as a service principal's): the
  // assignments made before are a user's when a user has that object id.
  "0014_role_assignment_principal_type": {
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable("role_assignments")
        .addColumn("principal_type", "text", (c) => c.notNull().defaultTo("ServicePrincipal"))
        .execute();
      await db
        .updateTable("role_assignments")
        .set({ principal_type: "User" })
        .where("principal_id", "in", db.selectFrom("users").select("object_id"))
        .execute();
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrate(db: Kysely<any>): Promise<void> {
  const { error } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) throw error;
}
