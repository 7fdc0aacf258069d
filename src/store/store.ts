// The storage interface: typed records in, typed records out. One implementation over Kysely serves
// every dialect; secret material is sealed here, so nothing above ever writes it in the clear.
import { Kysely, sql, type Compilable, type CompiledQuery, type Transaction } from "kysely";
import type { Sealer } from "../crypto/sealing.js";
import type { CommitGroup } from "./commit-group.js";
import type { Database } from "./schema.js";

/** Certificates, keys and secrets; plus a vault's certificate issuers and its one certificate-contacts list. */
export type ObjectKind = "certificate" | "key" | "secret" | "certificate-issuer" | "certificate-contacts";

export interface PrincipalRecord {
  objectId: string;
  appId: string;
  displayName: string;
  secretHash: string;
  isAdmin: boolean;
  createdAt: number;
  /** Moves on with every credential reset; tokens carry the generation they were issued under. */
  credentialGeneration: number;
}

export interface UserRecord {
  objectId: string;
  userPrincipalName: string;
  displayName: string;
  mailNickname: string;
  passwordHash: string;
  accountEnabled: boolean;
  isAdmin: boolean;
  createdAt: number;
  /** Moves on with every password change; tokens carry the generation they were issued under. */
  credentialGeneration: number;
}

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

export interface RoleAssignmentRecord {
  /** A GUID, unique across every scope. */
  name: string;
  scope: string;
  principalId: string;
  roleDefinitionId: string;
}

export interface ResourceGroupRecord {
  name: string;
  location: string;
  tags: Record<string, string>;
  createdAt: number;
}

/** A named object in a vault; `state` holds what belongs to the name rather than a version (a policy, a pending operation). */
export interface NameRecord<S = Record<string, unknown>> {
  vault: string;
  kind: ObjectKind;
  name: string;
  deletedAt: number | null;
  scheduledPurgeAt: number | null;
  state: S;
  sealedState: Buffer | null;
}

export interface VersionRecord<A = Record<string, unknown>, D = Record<string, unknown>> {
  vault: string;
  kind: ObjectKind;
  name: string;
  version: string;
  seq: number;
  createdAt: number;
  updatedAt: number;
  attributes: A;
  tags: Record<string, string>;
  data: D;
  sealed: Buffer | null;
}

/** A row of the audit log (audit/log.ts), as stored. */
export interface AuditRow {
  nodeId: string;
  seq: number;
  time: number;
  vault: string | null;
  caller: string | null;
  operationName: string;
  /** The AuditEvent, as JSON. */
  entry: string;
  prevMac: string;
  mac: string;
}

export interface AuditFilter {
  vault?: string;
  caller?: string;
  operationName?: string;
  /** Entries at or after this time (ms). */
  since?: number;
  limit: number;
}

export interface Page<T> {
  items: T[];
  /** Opaque position to continue from, absent on the last page. */
  next?: string;
}

type Executor = Kysely<Database> | Transaction<Database>;

const EXPORT_KEY_LABEL = "kluis export v1";
const AUDIT_KEY_LABEL = "kluis audit chain v1";

let lastSeq = 0;
/** Versions are ordered by a sequence that never repeats within a process, even in the same millisecond. */
function nextSeq(): number {
  lastSeq = Math.max(lastSeq + 1, Date.now() * 1000);
  return lastSeq;
}

/**
 * A query built and compiled once, then run with new values: Kysely otherwise rebuilds and recompiles the SQL of
 * every call (about 9 µs each), which the reads on every request's path (name, then version) would pay twice.
 */
class PreparedQuery<R> {
  private readonly compiled: CompiledQuery<R>;
  constructor(query: Compilable<R>) {
    this.compiled = query.compile();
  }

  /** The query with `values` for its first placeholders, in the order they were written; later ones (a fixed limit) keep theirs. */
  bind(values: unknown[]): CompiledQuery<R> {
    return { ...this.compiled, parameters: [...values, ...this.compiled.parameters.slice(values.length)] };
  }
}

/** The reads on every data-plane request, compiled once per database (the SQL differs between dialects). */
function hotQueries(db: Kysely<Database>) {
  // Placeholder values only: bind() gives the real ones (vault, kind, name key, and version).
  const name = db
    .selectFrom("object_names")
    .selectAll()
    .where("vault", "=", "")
    .where("kind", "=", "")
    .where("name_key", "=", "");
  const versions = db
    .selectFrom("object_versions")
    .selectAll()
    .where("vault", "=", "")
    .where("kind", "=", "")
    .where("name_key", "=", "");
  // A version with its name not deleted: one read where getName and getVersion take two (two round trips on PostgreSQL).
  const liveVersions = db
    .selectFrom("object_versions as v")
    .innerJoin("object_names as n", (join) =>
      join.onRef("n.vault", "=", "v.vault").onRef("n.kind", "=", "v.kind").onRef("n.name_key", "=", "v.name_key"),
    )
    .selectAll("v")
    .where("v.vault", "=", "")
    .where("v.kind", "=", "")
    .where("v.name_key", "=", "")
    .where("n.deleted_at", "is", null);
  return {
    name: new PreparedQuery(name),
    version: new PreparedQuery(versions.where("version", "=", "")),
    // The limit is a placeholder too, the last one: bind() keeps its compiled value.
    latestVersion: new PreparedQuery(versions.orderBy("seq", "desc").limit(1)),
    liveVersion: new PreparedQuery(liveVersions.where("v.version", "=", "")),
    liveLatestVersion: new PreparedQuery(liveVersions.orderBy("v.seq", "desc").limit(1)),
  };
}

const hotQueryCache = new WeakMap<Kysely<Database>, ReturnType<typeof hotQueries>>();

export class Store {
  constructor(
    private readonly db: Executor,
    private readonly sealer: Sealer,
    private readonly root?: Kysely<Database>,
    /** SQLite: transactions share COMMITs (and fsyncs); see commit-group.ts. */
    private readonly commits?: CommitGroup,
  ) {}

  private get hot(): ReturnType<typeof hotQueries> {
    const root = this.root ?? (this.db as Kysely<Database>);
    let queries = hotQueryCache.get(root);
    if (!queries) hotQueryCache.set(root, (queries = hotQueries(root)));
    return queries;
  }

  /** Runs `fn` atomically: either every write inside it is committed, or none is. */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    const db = this.root ?? (this.db as Kysely<Database>);
    if (this.db !== db) return fn(this);
    const work = (trx: Transaction<Database>) => fn(new Store(trx, this.sealer, db));
    return this.commits ? this.commits.run(work) : db.transaction().execute(work);
  }

  /** The cheapest round trip to the database: throws when it cannot be reached. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await (this.db as Kysely<Database>).destroy();
  }

  // -- settings -------------------------------------------------------------------------------
  async getSetting(key: string): Promise<string | undefined> {
    const row = await this.db.selectFrom("settings").select("value").where("key", "=", key).executeTakeFirst();
    return row?.value;
  }

  async putSetting(key: string, value: string): Promise<void> {
    await this.db
      .insertInto("settings")
      .values({ key, value })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value }))
      .execute();
  }

  async getSealedSetting(key: string): Promise<Buffer | undefined> {
    const value = await this.getSetting(key);
    return value === undefined ? undefined : this.sealer.open(value, `setting/${key}`);
  }

  async putSealedSetting(key: string, value: Buffer): Promise<void> {
    await this.putSetting(key, this.sealer.seal(value, `setting/${key}`));
  }

  // -- exports --------------------------------------------------------------------------------
  /** Seals what leaves the server (a backup blob) under a key derived from the master key; any vault here can open it. */
  sealExport(plain: Buffer, context: string): Buffer {
    return this.sealer.derive(EXPORT_KEY_LABEL).sealBytes(plain, context);
  }

  /** Throws when `sealed` was not made by `sealExport` with the same context, or was altered. */
  openExport(sealed: Buffer, context: string): Buffer {
    return this.sealer.derive(EXPORT_KEY_LABEL).openBytes(sealed, context);
  }

  // -- authorization codes --------------------------------------------------------------------
  /** Records a code as redeemed: false when it already was (on any node). Codes past their expiry are forgotten. */
  async redeemAuthorizationCode(id: string, expiresAt: number, now = Date.now()): Promise<boolean> {
    await this.db.deleteFrom("authorization_codes").where("expires_at", "<", now).execute();
    const res = await this.db
      .insertInto("authorization_codes")
      .values({ id, expires_at: expiresAt })
      .onConflict((oc) => oc.column("id").doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  // -- audit log ------------------------------------------------------------------------------
  /** The audit chain's HMAC key, derived from the master key: whoever edits the table without it cannot re-chain it. */
  auditMacKey(): Buffer {
    return this.sealer.derivedKey(AUDIT_KEY_LABEL);
  }

  async appendAudit(rows: readonly AuditRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.insertInto("audit_entries").values(rows.map(toAuditColumns)).execute();
  }

  /** The newest entry a node wrote: its chain goes on from there after a restart. */
  async lastAudit(nodeId: string): Promise<AuditRow | undefined> {
    const row = await this.db
      .selectFrom("audit_entries")
      .selectAll()
      .where("node_id", "=", nodeId)
      .orderBy("seq", "desc")
      .limit(1)
      .executeTakeFirst();
    return row && toAuditRow(row);
  }

  /** The newest entries first, filtered. */
  async listAudit(f: AuditFilter): Promise<AuditRow[]> {
    let q = this.db.selectFrom("audit_entries").selectAll();
    if (f.vault !== undefined) q = q.where("vault", "=", f.vault.toLowerCase());
    if (f.caller !== undefined) q = q.where("caller", "=", f.caller);
    if (f.operationName !== undefined) q = q.where("operation_name", "=", f.operationName);
    if (f.since !== undefined) q = q.where("time", ">=", f.since);
    const rows = await q.orderBy("time", "desc").orderBy("node_id").orderBy("seq", "desc").limit(f.limit).execute();
    return rows.map(toAuditRow);
  }

  /** Every entry in chain order (node, then seq), a page after `after` at a time. */
  async auditChainPage(after: { nodeId: string; seq: number } | undefined, limit: number): Promise<AuditRow[]> {
    let q = this.db.selectFrom("audit_entries").selectAll();
    if (after)
      q = q.where((eb) =>
        eb.or([
          eb("node_id", ">", after.nodeId),
          eb.and([eb("node_id", "=", after.nodeId), eb("seq", ">", after.seq)]),
        ]),
      );
    const rows = await q.orderBy("node_id").orderBy("seq").limit(limit).execute();
    return rows.map(toAuditRow);
  }

  /** Per node, the newest entry older than `before`: what a prune removes up to (inclusive). */
  async auditPruneBounds(before: number): Promise<AuditRow[]> {
    const bounds = await this.db
      .selectFrom("audit_entries")
      .select(["node_id", (eb) => eb.fn.max("seq").as("seq")])
      .where("time", "<", before)
      .groupBy("node_id")
      .execute();
    const rows: AuditRow[] = [];
    for (const b of bounds) {
      const row = await this.db
        .selectFrom("audit_entries")
        .selectAll()
        .where("node_id", "=", b.node_id)
        .where("seq", "=", Number(b.seq))
        .executeTakeFirst();
      if (row) rows.push(toAuditRow(row));
    }
    return rows;
  }

  async deleteAuditThrough(nodeId: string, seq: number): Promise<number> {
    const result = await this.db
      .deleteFrom("audit_entries")
      .where("node_id", "=", nodeId)
      .where("seq", "<=", seq)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  // -- principals -----------------------------------------------------------------------------
  async insertPrincipal(p: PrincipalRecord): Promise<void> {
    await this.db
      .insertInto("principals")
      .values({
        object_id: p.objectId,
        app_id: p.appId,
        display_name: p.displayName,
        secret_hash: p.secretHash,
        is_admin: p.isAdmin ? 1 : 0,
        created_at: p.createdAt,
        credential_generation: p.credentialGeneration,
      })
      .execute();
  }

  /** Replaces the secret's hash and moves the credential generation on, which revokes the tokens issued before. */
  async updatePrincipalSecret(appId: string, secretHash: string): Promise<void> {
    await this.db
      .updateTable("principals")
      .set((eb) => ({ secret_hash: secretHash, credential_generation: eb("credential_generation", "+", 1) }))
      .where("app_id", "=", appId)
      .execute();
  }

  async getPrincipalByAppId(appId: string): Promise<PrincipalRecord | undefined> {
    const row = await this.db.selectFrom("principals").selectAll().where("app_id", "=", appId).executeTakeFirst();
    return row && toPrincipal(row);
  }

  async getPrincipalByObjectId(objectId: string): Promise<PrincipalRecord | undefined> {
    const row = await this.db.selectFrom("principals").selectAll().where("object_id", "=", objectId).executeTakeFirst();
    return row && toPrincipal(row);
  }

  async listPrincipals(): Promise<PrincipalRecord[]> {
    const rows = await this.db.selectFrom("principals").selectAll().orderBy("created_at").execute();
    return rows.map(toPrincipal);
  }

  async deletePrincipal(appId: string): Promise<boolean> {
    const res = await this.db.deleteFrom("principals").where("app_id", "=", appId).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  // -- users --------------------------------------------------------------------------------------
  async insertUser(u: UserRecord): Promise<void> {
    await this.db
      .insertInto("users")
      .values({
        object_id: u.objectId,
        upn_key: u.userPrincipalName.toLowerCase(),
        user_principal_name: u.userPrincipalName,
        display_name: u.displayName,
        mail_nickname: u.mailNickname,
        password_hash: u.passwordHash,
        account_enabled: u.accountEnabled ? 1 : 0,
        is_admin: u.isAdmin ? 1 : 0,
        created_at: u.createdAt,
        credential_generation: u.credentialGeneration,
      })
      .execute();
  }

  async getUserByObjectId(objectId: string): Promise<UserRecord | undefined> {
    const row = await this.db.selectFrom("users").selectAll().where("object_id", "=", objectId).executeTakeFirst();
    return row && toUser(row);
  }

  /** UPNs are compared without regard to case. */
  async getUserByPrincipalName(userPrincipalName: string): Promise<UserRecord | undefined> {
    const row = await this.db
      .selectFrom("users")
      .selectAll()
      .where("upn_key", "=", userPrincipalName.toLowerCase())
      .executeTakeFirst();
    return row && toUser(row);
  }

  async listUsers(): Promise<UserRecord[]> {
    const rows = await this.db.selectFrom("users").selectAll().orderBy("created_at").execute();
    return rows.map(toUser);
  }

  /** Changes a user's fields; a new password hash also moves the credential generation on, which revokes its tokens. */
  async updateUser(
    objectId: string,
    changes: { displayName?: string; mailNickname?: string; accountEnabled?: boolean; passwordHash?: string },
  ): Promise<boolean> {
    const res = await this.db
      .updateTable("users")
      .set((eb) => ({
        ...(changes.displayName !== undefined ? { display_name: changes.displayName } : {}),
        ...(changes.mailNickname !== undefined ? { mail_nickname: changes.mailNickname } : {}),
        ...(changes.accountEnabled !== undefined ? { account_enabled: changes.accountEnabled ? 1 : 0 } : {}),
        ...(changes.passwordHash !== undefined
          ? { password_hash: changes.passwordHash, credential_generation: eb("credential_generation", "+", 1) }
          : {}),
      }))
      .where("object_id", "=", objectId)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async deleteUser(objectId: string): Promise<boolean> {
    const res = await this.db.deleteFrom("users").where("object_id", "=", objectId).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  // -- resource groups ------------------------------------------------------------------------
  async getResourceGroup(name: string): Promise<ResourceGroupRecord | undefined> {
    const row = await this.db
      .selectFrom("resource_groups")
      .selectAll()
      .where("name_key", "=", name.toLowerCase())
      .executeTakeFirst();
    return row && toResourceGroup(row);
  }

  async listResourceGroups(): Promise<ResourceGroupRecord[]> {
    const rows = await this.db.selectFrom("resource_groups").selectAll().orderBy("name_key").execute();
    return rows.map(toResourceGroup);
  }

  /** Creates the group, or replaces its tags (a group's name spelling and location never change). */
  async putResourceGroup(g: ResourceGroupRecord): Promise<void> {
    const tags = JSON.stringify(g.tags);
    await this.db
      .insertInto("resource_groups")
      .values({ name_key: g.name.toLowerCase(), name: g.name, location: g.location, tags, created_at: g.createdAt })
      .onConflict((oc) => oc.column("name_key").doUpdateSet({ tags }))
      .execute();
  }

  async deleteResourceGroup(name: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom("resource_groups")
      .where("name_key", "=", name.toLowerCase())
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  // -- role assignments and custom role definitions ---------------------------------------------
  async listRoleAssignments(): Promise<RoleAssignmentRecord[]> {
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
      roleDefinitionId: r.role_definition_id,
    }));
  }

  /** Inserts the assignment unless one of that name exists (then false): one statement, so concurrent writers never lose a row. */
  async insertRoleAssignment(a: RoleAssignmentRecord): Promise<boolean> {
    const res = await this.db
      .insertInto("role_assignments")
      .values({
        name: a.name,
        scope: a.scope,
        principal_id: a.principalId,
        role_definition_id: a.roleDefinitionId,
        created_at: Date.now(),
      })
      .onConflict((oc) => oc.column("name").doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async deleteRoleAssignment(name: string): Promise<boolean> {
    const res = await this.db.deleteFrom("role_assignments").where("name", "=", name).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async listRoleDefinitions<R>(): Promise<R[]> {
    const rows = await this.db.selectFrom("role_definitions").select("definition").orderBy("role_name_key").execute();
    return rows.map((r) => JSON.parse(r.definition) as R);
  }

  /**
   * Holds the custom role's row until the transaction ends (a PostgreSQL row lock; SQLite runs one write at a time), so
   * that assigning, changing and deleting the role are serialized across nodes. False when there is no such row.
   */
  async lockRoleDefinition(id: string): Promise<boolean> {
    const res = await this.db
      .updateTable("role_definitions")
      .set((eb) => ({ id: eb.ref("id") }))
      .where("id", "=", id)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Creates or replaces a custom role; false when another role holds its name (the name is unique, case-insensitively). */
  async putRoleDefinition<R extends { id: string; roleName: string }>(role: R): Promise<boolean> {
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

  async deleteRoleDefinition(id: string): Promise<boolean> {
    const res = await this.db.deleteFrom("role_definitions").where("id", "=", id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  // -- vaults ---------------------------------------------------------------------------------
  /** The live vault of that name, or with `deleted` the soft-deleted one. */
  async getVault<P>(name: string, deleted = false): Promise<VaultRecord<P> | undefined> {
    const row = await this.db
      .selectFrom("vaults")
      .selectAll()
      .where("name", "=", name)
      .where("deleted_at", deleted ? "is not" : "is", null)
      .executeTakeFirst();
    return row && toVault<P>(row);
  }

  /** Live vaults, or with `deleted` the soft-deleted ones. */
  async listVaults<P>(deleted = false): Promise<VaultRecord<P>[]> {
    const rows = await this.db
      .selectFrom("vaults")
      .selectAll()
      .where("deleted_at", deleted ? "is not" : "is", null)
      .orderBy("name")
      .execute();
    return rows.map((r) => toVault<P>(r));
  }

  /** Marks a vault deleted (or, with nulls, recovered); its contents stay untouched. */
  async setVaultDeleted(name: string, deletedAt: number | null, scheduledPurgeAt: number | null): Promise<boolean> {
    const res = await this.db
      .updateTable("vaults")
      .set({ deleted_at: deletedAt, scheduled_purge_at: scheduledPurgeAt })
      .where("name", "=", name)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Soft-deleted vaults whose scheduled purge date has passed. */
  async listExpiredVaults(now: number): Promise<string[]> {
    const rows = await this.db.selectFrom("vaults").select("name").where("scheduled_purge_at", "<=", now).execute();
    return rows.map((r) => r.name);
  }

  async putVault<P>(v: VaultRecord<P>): Promise<void> {
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
  async deleteVault(name: string): Promise<boolean> {
    await this.db.deleteFrom("object_versions").where("vault", "=", name).execute();
    await this.db.deleteFrom("object_names").where("vault", "=", name).execute();
    const res = await this.db.deleteFrom("vaults").where("name", "=", name).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  // -- named objects --------------------------------------------------------------------------
  /** Names match case-insensitively, as in Key Vault; the record carries the name as first written. */
  async getName<S>(vault: string, kind: ObjectKind, name: string): Promise<NameRecord<S> | undefined> {
    const { rows } = await this.db.executeQuery(this.hot.name.bind([vault, kind, nameKey(name)]));
    return rows[0] && this.toName<S>(rows[0]);
  }

  async putName<S>(n: NameRecord<S>): Promise<void> {
    const values = {
      vault: n.vault,
      kind: n.kind,
      name_key: nameKey(n.name),
      name: n.name,
      deleted_at: n.deletedAt,
      scheduled_purge_at: n.scheduledPurgeAt,
      state: JSON.stringify(n.state),
      sealed_state: n.sealedState && this.sealer.seal(n.sealedState, nameContext(n)),
    };
    await this.db
      .insertInto("object_names")
      .values(values)
      .onConflict((oc) =>
        // `name` follows the record so that the row's sealing context (which names it) stays the one it was sealed with.
        oc.columns(["vault", "kind", "name_key"]).doUpdateSet({
          name: values.name,
          deleted_at: values.deleted_at,
          scheduled_purge_at: values.scheduled_purge_at,
          state: values.state,
          sealed_state: values.sealed_state,
        }),
      )
      .execute();
  }

  /**
   * Lists names in case-insensitive name order, either the live ones or the deleted ones. `stateMentions` keeps names
   * whose stored state text contains it (e.g. `"AutoRenew"`): a pre-filter for sweeps, which read the state themselves.
   */
  async listNames<S>(
    vault: string,
    kind: ObjectKind,
    opts: { deleted: boolean; limit: number; after?: string; stateMentions?: string },
  ): Promise<Page<NameRecord<S>>> {
    let q = this.db
      .selectFrom("object_names")
      .selectAll()
      .where("vault", "=", vault)
      .where("kind", "=", kind)
      .where("deleted_at", opts.deleted ? "is not" : "is", null);
    if (opts.after !== undefined) q = q.where("name_key", ">", nameKey(opts.after));
    if (opts.stateMentions !== undefined) q = q.where("state", "like", `%${opts.stateMentions}%`);
    const rows = await q
      .orderBy("name_key")
      .limit(opts.limit + 1)
      .execute();
    const items = rows.slice(0, opts.limit).map((r) => this.toName<S>(r));
    return { items, next: rows.length > opts.limit ? nameKey(items[items.length - 1]!.name) : undefined };
  }

  /**
   * Holds the name's row until the transaction ends, so that what the transaction reads next includes any write
   * another node committed first (a PostgreSQL row lock; SQLite runs one write at a time anyway).
   */
  async lockName(vault: string, kind: ObjectKind, name: string): Promise<void> {
    await this.db
      .updateTable("object_names")
      .set((eb) => ({ name: eb.ref("name") }))
      .where("vault", "=", vault)
      .where("kind", "=", kind)
      .where("name_key", "=", nameKey(name))
      .execute();
  }

  /** Purge: the name and all its versions are gone for good. */
  async purgeName(vault: string, kind: ObjectKind, name: string): Promise<void> {
    await this.db
      .deleteFrom("object_versions")
      .where("vault", "=", vault)
      .where("kind", "=", kind)
      .where("name_key", "=", nameKey(name))
      .execute();
    await this.db
      .deleteFrom("object_names")
      .where("vault", "=", vault)
      .where("kind", "=", kind)
      .where("name_key", "=", nameKey(name))
      .execute();
  }

  /** Names whose scheduled purge date has passed, across all vaults. */
  async listExpiredDeletions(now: number, limit: number): Promise<{ vault: string; kind: ObjectKind; name: string }[]> {
    const rows = await this.db
      .selectFrom("object_names")
      .select(["vault", "kind", "name"])
      .where("scheduled_purge_at", "<=", now)
      .limit(limit)
      .execute();
    return rows.map((r) => ({ vault: r.vault, kind: r.kind as ObjectKind, name: r.name }));
  }

  // -- versions -------------------------------------------------------------------------------
  /** A version by id, or the newest one when `version` is empty. */
  async getVersion<A, D>(
    vault: string,
    kind: ObjectKind,
    name: string,
    version?: string,
  ): Promise<VersionRecord<A, D> | undefined> {
    const key = nameKey(name);
    const query = version
      ? this.hot.version.bind([vault, kind, key, version])
      : this.hot.latestVersion.bind([vault, kind, key]);
    const { rows } = await this.db.executeQuery(query);
    return rows[0] && this.toVersion<A, D>(rows[0]);
  }

  /** Like getVersion, but only while the name is not deleted. */
  async getLiveVersion<A, D>(
    vault: string,
    kind: ObjectKind,
    name: string,
    version?: string,
  ): Promise<VersionRecord<A, D> | undefined> {
    const key = nameKey(name);
    const query = version
      ? this.hot.liveVersion.bind([vault, kind, key, version])
      : this.hot.liveLatestVersion.bind([vault, kind, key]);
    const { rows } = await this.db.executeQuery(query);
    return rows[0] && this.toVersion<A, D>(rows[0]);
  }

  async listVersions<A, D>(
    vault: string,
    kind: ObjectKind,
    name: string,
    opts: { limit: number; after?: number },
  ): Promise<Page<VersionRecord<A, D>>> {
    let q = this.db
      .selectFrom("object_versions")
      .selectAll()
      .where("vault", "=", vault)
      .where("kind", "=", kind)
      .where("name_key", "=", nameKey(name));
    if (opts.after !== undefined) q = q.where("seq", ">", opts.after);
    const rows = await q
      .orderBy("seq")
      .limit(opts.limit + 1)
      .execute();
    const items = rows.slice(0, opts.limit).map((r) => this.toVersion<A, D>(r));
    return { items, next: rows.length > opts.limit ? String(items[items.length - 1]!.seq) : undefined };
  }

  /** Inserts a version, or updates its attributes, tags and data if it exists. */
  async putVersion<A, D>(v: Omit<VersionRecord<A, D>, "seq"> & { seq?: number }): Promise<number> {
    const seq = v.seq ?? nextSeq();
    const values = {
      vault: v.vault,
      kind: v.kind,
      name_key: nameKey(v.name),
      name: v.name,
      version: v.version,
      seq,
      created_at: v.createdAt,
      updated_at: v.updatedAt,
      attributes: JSON.stringify(v.attributes),
      tags: JSON.stringify(v.tags),
      data: JSON.stringify(v.data),
      sealed: v.sealed && this.sealer.seal(v.sealed, versionContext(v)),
    };
    await this.db
      .insertInto("object_versions")
      .values(values)
      .onConflict((oc) =>
        oc.columns(["vault", "kind", "name_key", "version"]).doUpdateSet({
          updated_at: values.updated_at,
          attributes: values.attributes,
          tags: values.tags,
          data: values.data,
        }),
      )
      .execute();
    return seq;
  }

  private toName<S>(r: Database["object_names"]): NameRecord<S> {
    const n = {
      vault: r.vault,
      kind: r.kind as ObjectKind,
      name: r.name,
      deletedAt: r.deleted_at === null ? null : Number(r.deleted_at),
      scheduledPurgeAt: r.scheduled_purge_at === null ? null : Number(r.scheduled_purge_at),
      state: JSON.parse(r.state) as S,
      sealedState: null as Buffer | null,
    };
    if (r.sealed_state) n.sealedState = this.sealer.open(r.sealed_state, nameContext(n));
    return n;
  }

  private toVersion<A, D>(r: Database["object_versions"]): VersionRecord<A, D> {
    const v = {
      vault: r.vault,
      kind: r.kind as ObjectKind,
      name: r.name,
      version: r.version,
      seq: Number(r.seq),
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
      attributes: JSON.parse(r.attributes) as A,
      tags: JSON.parse(r.tags) as Record<string, string>,
      data: JSON.parse(r.data) as D,
      sealed: null as Buffer | null,
    };
    if (r.sealed) v.sealed = this.sealer.open(r.sealed, versionContext(v));
    return v;
  }
}

/** The key a name is stored and looked up under: Key Vault names are case-insensitive. */
const nameKey = (name: string) => name.toLowerCase();

const nameContext = (n: { vault: string; kind: string; name: string }) => `name/${n.vault}/${n.kind}/${n.name}`;
const versionContext = (v: { vault: string; kind: string; name: string; version: string }) =>
  `version/${v.vault}/${v.kind}/${v.name}/${v.version}`;

function toAuditColumns(r: AuditRow): Database["audit_entries"] {
  return {
    node_id: r.nodeId,
    seq: r.seq,
    time: r.time,
    vault: r.vault,
    caller: r.caller,
    operation_name: r.operationName,
    entry: r.entry,
    prev_mac: r.prevMac,
    mac: r.mac,
  };
}

function toAuditRow(r: Database["audit_entries"]): AuditRow {
  return {
    nodeId: r.node_id,
    seq: Number(r.seq),
    time: Number(r.time),
    vault: r.vault,
    caller: r.caller,
    operationName: r.operation_name,
    entry: r.entry,
    prevMac: r.prev_mac,
    mac: r.mac,
  };
}

function toPrincipal(r: Database["principals"]): PrincipalRecord {
  return {
    objectId: r.object_id,
    appId: r.app_id,
    displayName: r.display_name,
    secretHash: r.secret_hash,
    isAdmin: Number(r.is_admin) === 1,
    createdAt: Number(r.created_at),
    credentialGeneration: Number(r.credential_generation),
  };
}

function toUser(r: Database["users"]): UserRecord {
  return {
    objectId: r.object_id,
    userPrincipalName: r.user_principal_name,
    displayName: r.display_name,
    mailNickname: r.mail_nickname,
    passwordHash: r.password_hash,
    accountEnabled: Number(r.account_enabled) === 1,
    isAdmin: Number(r.is_admin) === 1,
    createdAt: Number(r.created_at),
    credentialGeneration: Number(r.credential_generation),
  };
}

function toResourceGroup(r: Database["resource_groups"]): ResourceGroupRecord {
  return {
    name: r.name,
    location: r.location,
    tags: JSON.parse(r.tags) as Record<string, string>,
    createdAt: Number(r.created_at),
  };
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
