// The store: one database, and a repository per aggregate over it (src/store/repositories/). Repositories take typed
// records in and give typed records out; secret material is sealed inside them, so nothing above ever writes it in
// the clear. One implementation over Kysely serves every dialect.
import { sql, type Kysely } from "kysely";
import type { Sealer } from "../crypto/sealing.js";
import type { Checkpointer } from "./checkpointer.js";
import type { CommitGroup } from "./commit-group.js";
import type { Executor, ImmediateRead } from "./executor.js";
import type { WalSync } from "./wal-sync.js";
import { OpenedKeys } from "./opened-keys.js";
import { AuditInserts, AuditRepository } from "./repositories/audit.js";
import { EventsRepository } from "./repositories/events.js";
import { AuthorizationCodesRepository } from "./repositories/authorization-codes.js";
import { compileObjectQueries, ObjectsRepository, type ObjectQueries } from "./repositories/objects.js";
import { PrincipalsRepository } from "./repositories/principals.js";
import { ResourceGroupsRepository } from "./repositories/resource-groups.js";
import { RoleAssignmentsRepository } from "./repositories/role-assignments.js";
import { SettingsRepository } from "./repositories/settings.js";
import { UsersRepository } from "./repositories/users.js";
import { VaultsRepository } from "./repositories/vaults.js";
import type { Database } from "./schema.js";

/** What the store and every transaction's view of it share. */
interface Shared {
  db: Kysely<Database>;
  sealer: Sealer;
  /** The hot reads, compiled once on `db` (objects.ts). */
  objectQueries: ObjectQueries;
  /** The audit log's INSERTs, compiled once per chunk size on `db` (audit.ts). */
  auditInserts: AuditInserts;
  /** Keys' private keys as opened from their rows (opened-keys.ts). */
  openedKeys: OpenedKeys;
  /** SQLite: transactions share COMMITs (and fsyncs); see commit-group.ts. */
  commits?: CommitGroup;
  /** SQLite unless KLUIS_SQLITE_SYNCHRONOUS=NORMAL: the groups' fsyncs, made off the event loop (wal-sync.ts). */
  walSync?: WalSync;
  /** SQLite: the hot reads outside transactions skip Kysely's path (executor.ts). */
  readNow?: ImmediateRead;
  /** SQLite: checkpoints the WAL on a worker thread (checkpointer.ts). */
  checkpointer?: Checkpointer;
}

export class Store {
  readonly settings: SettingsRepository;
  readonly audit: AuditRepository;
  readonly principals: PrincipalsRepository;
  readonly users: UsersRepository;
  readonly resourceGroups: ResourceGroupsRepository;
  readonly roleAssignments: RoleAssignmentsRepository;
  readonly vaults: VaultsRepository;
  readonly objects: ObjectsRepository;
  /** Event subscriptions, the delivery queue (webhooks and e-mail) and the expiry sweep's marks. */
  readonly events: EventsRepository;
  readonly authorizationCodes: AuthorizationCodesRepository;

  /** The store over `db`, sealing with `sealer`; on SQLite, its transactions share COMMITs and hot reads run at once. */
  static over(
    db: Kysely<Database>,
    sealer: Sealer,
    sqlite?: { commits: CommitGroup; walSync?: WalSync; readNow: ImmediateRead; checkpointer: Checkpointer },
  ): Store {
    return new Store(db, {
      db,
      sealer,
      objectQueries: compileObjectQueries(db),
      auditInserts: new AuditInserts(db),
      openedKeys: new OpenedKeys(),
      ...sqlite,
    });
  }

  /** The repositories, each running its queries on `executor`: the database, or one transaction. */
  private constructor(
    private readonly executor: Executor,
    private readonly shared: Shared,
  ) {
    this.settings = new SettingsRepository(executor, shared.sealer);
    this.audit = new AuditRepository(executor, shared.sealer, shared.auditInserts);
    this.principals = new PrincipalsRepository(executor);
    this.users = new UsersRepository(executor);
    this.resourceGroups = new ResourceGroupsRepository(executor);
    this.roleAssignments = new RoleAssignmentsRepository(executor);
    this.vaults = new VaultsRepository(executor, shared.openedKeys);
    // A transaction's reads see its own writes: only the store itself reads at once.
    const readNow = executor === shared.db ? shared.readNow : undefined;
    this.objects = new ObjectsRepository(executor, shared.sealer, shared.objectQueries, shared.openedKeys, readNow);
    this.events = new EventsRepository(executor, shared.sealer);
    this.authorizationCodes = new AuthorizationCodesRepository(executor);
  }

  /**
   * Runs `fn` atomically: either every write inside it is committed, or none is. `fn` gets the store as seen from
   * inside the transaction; a transaction begun from there joins the one already running. `fsync: false` is for
   * writes no answer waits on (the audit log's): on SQLite their COMMIT need not wait for the disk (commit-group.ts).
   */
  transaction<T>(fn: (tx: Store) => Promise<T>, options?: { fsync: false }): Promise<T> {
    const { db, commits } = this.shared;
    if (this.executor !== db) return fn(this);
    const work = (trx: Executor) => fn(new Store(trx, this.shared));
    return commits ? commits.run(work, options) : db.transaction().execute(work);
  }

  /**
   * Undefined when every write committed so far is as durable as promised; otherwise resolves when it is. Anything
   * that shows the store's contents outside the process (an answer, a webhook) waits for it first: on SQLite a commit
   * is visible to reads before its fsync has returned (wal-sync.ts), and must not be seen by anyone before.
   */
  durable(): Promise<void> | undefined {
    return this.shared.walSync?.pending();
  }

  /** The cheapest round trip to the database: throws when it cannot be reached. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.executor);
  }

  async close(): Promise<void> {
    await this.shared.walSync?.close(); // the fsync still running, and its descriptor of the WAL
    await this.shared.checkpointer?.close(); // before the serving connection: the last connection closed removes the WAL
    await this.shared.db.destroy();
  }
}
