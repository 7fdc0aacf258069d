// The principals table: applications (service principals) that sign in with a client secret.
import type { Executor } from "../executor.js";
import type { Database } from "../schema.js";

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

export class PrincipalsRepository {
  constructor(private readonly db: Executor) {}

  async insert(p: PrincipalRecord): Promise<void> {
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
  async updateSecret(appId: string, secretHash: string): Promise<void> {
    await this.db
      .updateTable("principals")
      .set((eb) => ({ secret_hash: secretHash, credential_generation: eb("credential_generation", "+", 1) }))
      .where("app_id", "=", appId)
      .execute();
  }

  async getByAppId(appId: string): Promise<PrincipalRecord | undefined> {
    const row = await this.db.selectFrom("principals").selectAll().where("app_id", "=", appId).executeTakeFirst();
    return row && toPrincipal(row);
  }

  async getByObjectId(objectId: string): Promise<PrincipalRecord | undefined> {
    const row = await this.db.selectFrom("principals").selectAll().where("object_id", "=", objectId).executeTakeFirst();
    return row && toPrincipal(row);
  }

  async list(): Promise<PrincipalRecord[]> {
    const rows = await this.db.selectFrom("principals").selectAll().orderBy("created_at").execute();
    return rows.map(toPrincipal);
  }

  async delete(appId: string): Promise<boolean> {
    const res = await this.db.deleteFrom("principals").where("app_id", "=", appId).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }
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
