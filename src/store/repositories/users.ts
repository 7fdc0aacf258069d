// The users table: people who sign in with a user principal name and a password.
import type { Executor } from "../executor.js";
import type { Database } from "../schema.js";

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

export class UsersRepository {
  constructor(private readonly db: Executor) {}

  async insert(u: UserRecord): Promise<void> {
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

  async getByObjectId(objectId: string): Promise<UserRecord | undefined> {
    const row = await this.db.selectFrom("users").selectAll().where("object_id", "=", objectId).executeTakeFirst();
    return row && toUser(row);
  }

  /** UPNs are compared without regard to case. */
  async getByPrincipalName(userPrincipalName: string): Promise<UserRecord | undefined> {
    const row = await this.db
      .selectFrom("users")
      .selectAll()
      .where("upn_key", "=", userPrincipalName.toLowerCase())
      .executeTakeFirst();
    return row && toUser(row);
  }

  async list(): Promise<UserRecord[]> {
    const rows = await this.db.selectFrom("users").selectAll().orderBy("created_at").execute();
    return rows.map(toUser);
  }

  /** Changes a user's fields; a new password hash also moves the credential generation on, which revokes its tokens. */
  async update(
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

  async delete(objectId: string): Promise<boolean> {
    const res = await this.db.deleteFrom("users").where("object_id", "=", objectId).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }
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
