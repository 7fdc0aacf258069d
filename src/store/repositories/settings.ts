// The settings table: named values (the tenant, signing keys, ...), some sealed; and the sealing of exports.
import type { Sealer } from "../../crypto/sealing.js";
import type { Executor } from "../executor.js";

const EXPORT_KEY_LABEL = "kluis export v1";

export class SettingsRepository {
  constructor(
    private readonly db: Executor,
    private readonly sealer: Sealer,
  ) {}

  async get(key: string): Promise<string | undefined> {
    const row = await this.db.selectFrom("settings").select("value").where("key", "=", key).executeTakeFirst();
    return row?.value;
  }

  async put(key: string, value: string): Promise<void> {
    await this.db
      .insertInto("settings")
      .values({ key, value })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value }))
      .execute();
  }

  async getSealed(key: string): Promise<Buffer | undefined> {
    const value = await this.get(key);
    return value === undefined ? undefined : this.sealer.open(value, `setting/${key}`);
  }

  async putSealed(key: string, value: Buffer): Promise<void> {
    await this.put(key, this.sealer.seal(value, `setting/${key}`));
  }

  /** Seals what leaves the server (a backup blob) under a key derived from the master key; any vault here can open it. */
  sealExport(plain: Buffer, context: string): Buffer {
    return this.sealer.derive(EXPORT_KEY_LABEL).sealBytes(plain, context);
  }

  /** Throws when `sealed` was not made by `sealExport` with the same context, or was altered. */
  openExport(sealed: Buffer, context: string): Buffer {
    return this.sealer.derive(EXPORT_KEY_LABEL).openBytes(sealed, context);
  }
}
