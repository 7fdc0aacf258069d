// The object_names and object_versions tables: a vault's certificates, keys and secrets (and a certificate's issuers
// and contacts), a row per name and a row per version. The reads of every data-plane request run here.
import { sql, type CompiledQuery, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from "kysely";
import type { Sealer } from "../../crypto/sealing.js";
import { PreparedQuery, type Executor, type ImmediateRead } from "../executor.js";
import type { OpenedKeys } from "../opened-keys.js";
import type { Database } from "../schema.js";

/** Certificates, keys and secrets; plus a vault's certificate issuers and its one certificate-contacts list. */
const OBJECT_KINDS = ["certificate", "key", "secret", "certificate-issuer", "certificate-contacts"] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

/** A stored row's kind: one of these, or the row is not Kluis's. */
function kindOf(kind: string): ObjectKind {
  const known = OBJECT_KINDS.find((k) => k === kind);
  if (known === undefined) throw new Error(`object row of unknown kind '${kind}'`);
  return known;
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

export interface Page<T> {
  items: T[];
  /** Opaque position to continue from, absent on the last page. */
  next?: string;
}

let lastSeq = 0;
/** Versions are ordered by a sequence that never repeats within a process, even in the same millisecond. */
function nextSeq(): number {
  lastSeq = Math.max(lastSeq + 1, Date.now() * 1000);
  return lastSeq;
}

/** The reads on every data-plane request, compiled once per database (the SQL differs between dialects). */
export function compileObjectQueries(db: Kysely<Database>) {
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
    // The limit is the last placeholder on PostgreSQL (SQLite's SQL has it as a number: literal-limits.ts); bind()
    // keeps its compiled value.
    latestVersion: new PreparedQuery(versions.orderBy("seq", "desc").limit(1)),
    liveVersion: new PreparedQuery(liveVersions.where("v.version", "=", "")),
    liveLatestVersion: new PreparedQuery(liveVersions.orderBy("v.seq", "desc").limit(1)),
    // Every secret or key written pays for this insert: built and compiled once, its values bound per call in
    // versionRow's order. An existing version (a certificate's secret written again) keeps its id, seq and value.
    putVersion: new PreparedQuery(
      db
        .insertInto("object_versions")
        .values(versionRow("", "", "", "", "", 0, 0, 0, "", "", "", null, null))
        .onConflict((oc) =>
          oc.columns(["vault", "kind", "name_key", "version"]).doUpdateSet((eb) => ({
            updated_at: eb.ref("excluded.updated_at"),
            attributes: eb.ref("excluded.attributes"),
            tags: eb.ref("excluded.tags"),
            data: eb.ref("excluded.data"),
            expires_at: eb.ref("excluded.expires_at"),
          })),
        ),
    ),
  };
}

/** An object_versions row, its columns in the order of the prepared insert's placeholders. */
function versionRow(
  vault: string,
  kind: string,
  nameKey: string,
  name: string,
  version: string,
  seq: number,
  createdAt: number,
  updatedAt: number,
  attributes: string,
  tags: string,
  data: string,
  sealed: string | null,
  expiresAt: number | null,
) {
  return {
    vault,
    kind,
    name_key: nameKey,
    name,
    version,
    seq,
    created_at: createdAt,
    updated_at: updatedAt,
    attributes,
    tags,
    data,
    sealed,
    expires_at: expiresAt,
  };
}

export type ObjectQueries = ReturnType<typeof compileObjectQueries>;

export class ObjectsRepository {
  constructor(
    private readonly db: Executor,
    private readonly sealer: Sealer,
    /** Compiled on the database itself; a transaction runs them as they are. */
    private readonly hot: ObjectQueries,
    /** Keys' opened private keys, shared by the store and its transactions. */
    private readonly openedKeys: OpenedKeys,
    private readonly readNow?: ImmediateRead,
  ) {}

  /** The rows of one of the hot reads: at once where the store allows it (SQLite, outside a transaction). */
  private async rowsOf<R>(query: CompiledQuery<R>): Promise<readonly R[]> {
    return this.readNow?.(query) ?? (await this.db.executeQuery(query)).rows;
  }

  // -- names ----------------------------------------------------------------------------------
  /** Names match case-insensitively, as in Key Vault; the record carries the name as first written. */
  async getName<S>(vault: string, kind: ObjectKind, name: string): Promise<NameRecord<S> | undefined> {
    const rows = await this.rowsOf(this.hot.name.bind([vault, kind, nameKey(name)]));
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
    if (n.kind === "key" && n.deletedAt !== null) this.openedKeys.forget(n.vault, nameKey(n.name));
  }

  /**
   * Lists names in case-insensitive name order, either the live ones or the deleted ones. `stateMentions` keeps names
   * whose stored state text contains it (e.g. `"AutoRenew"`): a pre-filter for sweeps, which read the state themselves.
   */
  async listNames<S>(
    vault: string,
    kind: ObjectKind,
    opts: NameFilter & { limit: number; after?: string; stateMentions?: string },
  ): Promise<Page<NameRecord<S>>> {
    let q = this.db
      .selectFrom("object_names")
      .selectAll()
      .where(namesMatching(vault, kind, opts));
    if (opts.after !== undefined) q = q.where("name_key", ">", nameKey(opts.after));
    if (opts.stateMentions !== undefined) q = q.where("state", "like", `%${opts.stateMentions}%`);
    const rows = await q
      .orderBy("name_key")
      .limit(opts.limit + 1)
      .execute();
    const items = rows.slice(0, opts.limit).map((r) => this.toName<S>(r));
    return { items, next: rows.length > opts.limit ? nameKey(items[items.length - 1]!.name) : undefined };
  }

  /** How many names listNames would go through with this filter: one count over the listing's own index. */
  async countNames(vault: string, kind: ObjectKind, filter: NameFilter): Promise<number> {
    const row = await this.db
      .selectFrom("object_names")
      .select((eb) => eb.fn.countAll<number | string | bigint>().as("n"))
      .where(namesMatching(vault, kind, filter))
      .executeTakeFirstOrThrow();
    return Number(row.n);
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
    // What the expiry sweep did for its versions goes with them (events.ts).
    await this.db
      .deleteFrom("event_marks")
      .where("vault", "=", vault)
      .where("kind", "=", kind)
      .where("name_key", "=", nameKey(name))
      .execute();
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
    if (kind === "key") this.openedKeys.forget(vault, nameKey(name));
  }

  /** Names whose scheduled purge date has passed, across all vaults. */
  async listExpiredDeletions(now: number, limit: number): Promise<{ vault: string; kind: ObjectKind; name: string }[]> {
    const rows = await this.db
      .selectFrom("object_names")
      .select(["vault", "kind", "name"])
      .where("scheduled_purge_at", "<=", now)
      .limit(limit)
      .execute();
    return rows.map((r) => ({ vault: r.vault, kind: kindOf(r.kind), name: r.name }));
  }

  // -- versions -------------------------------------------------------------------------------
  /** A version by id, or the newest one when `version` is empty. */
  async getVersion<A, D>(
    vault: string,
    kind: ObjectKind,
    name: string,
    version?: string,
  ): Promise<VersionRecord<A, D> | undefined> {
    const rows = await this.rowsOf(
      this.versionQuery(this.hot.version, this.hot.latestVersion, vault, kind, name, version),
    );
    return rows[0] && this.toVersion<A, D>(rows[0]);
  }

  /** Like getVersion, but only while the name is not deleted. */
  async getLiveVersion<A, D>(
    vault: string,
    kind: ObjectKind,
    name: string,
    version?: string,
  ): Promise<VersionRecord<A, D> | undefined> {
    const query = this.versionQuery(this.hot.liveVersion, this.hot.liveLatestVersion, vault, kind, name, version);
    const rows = await this.rowsOf(query);
    return rows[0] && this.toVersion<A, D>(rows[0]);
  }

  /** The exact version's query, or the newest version's when `version` is empty (synchronous: no await on the hot path). */
  private versionQuery<R>(
    exact: PreparedQuery<R>,
    newest: PreparedQuery<R>,
    vault: string,
    kind: ObjectKind,
    name: string,
    version?: string,
  ): CompiledQuery<R> {
    const key = nameKey(name);
    return version ? exact.bind([vault, kind, key, version]) : newest.bind([vault, kind, key]);
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
    const row = [
      v.vault,
      v.kind,
      nameKey(v.name),
      v.name,
      v.version,
      seq,
      v.createdAt,
      v.updatedAt,
      JSON.stringify(v.attributes),
      JSON.stringify(v.tags),
      JSON.stringify(v.data),
      v.sealed && this.sealer.seal(v.sealed, versionContext(v)),
      expiryOf(v.attributes),
    ] satisfies Parameters<typeof versionRow>;
    await this.db.executeQuery(this.hot.putVersion.bind(row));
    return seq;
  }

  private toName<S>(r: Database["object_names"]): NameRecord<S> {
    const n = {
      vault: r.vault,
      kind: kindOf(r.kind),
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
      kind: kindOf(r.kind),
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
    if (r.sealed) v.sealed = this.open(r, versionContext(v));
    return v;
  }

  /** A version's sealed bytes; a key's private key as opened before while its row still holds the same envelope. */
  private open(r: Database["object_versions"], context: string): Buffer {
    const open = () => this.sealer.open(r.sealed!, context);
    return r.kind === "key" ? this.openedKeys.open(r.vault, r.name_key, r.version, r.sealed!, context, open) : open();
  }
}

/** The key a name is stored and looked up under: Key Vault names are case-insensitive. */
const nameKey = (name: string) => name.toLowerCase();

/** Which names a listing or a count goes through: the live or the deleted ones, and of those the ones containing `search`. */
export interface NameFilter {
  deleted: boolean;
  /** Case-insensitive: matched against the lower-cased name. */
  search?: string;
}

function namesMatching(vault: string, kind: ObjectKind, { deleted, search }: NameFilter) {
  return (eb: ExpressionBuilder<Database, "object_names">) => {
    const terms: Expression<SqlBool>[] = [
      eb("vault", "=", vault),
      eb("kind", "=", kind),
      eb("deleted_at", deleted ? "is not" : "is", null),
    ];
    if (search !== undefined) terms.push(sql<boolean>`name_key like ${containing(nameKey(search))} escape '\\'`);
    return eb.and(terms);
  };
}

/** A LIKE pattern for names containing `text`: Key Vault's names hold no wildcards, but the store does not count on it. */
const containing = (text: string) => `%${text.replace(/[\\%_]/g, "\\$&")}%`;

/** A version's `exp` (seconds in Key Vault's attributes) in ms, kept in its own column for the expiry sweep. */
const expiryOf = (attributes: unknown): number | null => {
  const exp = (attributes as { exp?: unknown } | null)?.exp;
  return typeof exp === "number" ? exp * 1000 : null;
};

const nameContext = (n: { vault: string; kind: string; name: string }) => `name/${n.vault}/${n.kind}/${n.name}`;
const versionContext = (v: { vault: string; kind: string; name: string; version: string }) =>
  `version/${v.vault}/${v.kind}/${v.name}/${v.version}`;
