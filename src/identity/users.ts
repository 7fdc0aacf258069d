// Users: people who sign in with a user principal name and a password (az login), kept like service principals: the
// password only as a slow salted hash, a credential generation that revokes tokens, deletion that revokes them too.
import { randomUUID } from "node:crypto";
import { hashSecret } from "../crypto/passwords.js";
import type { UserRecord } from "../store/repositories/users.js";
import type { Store } from "../store/store.js";
import { checkSecret } from "./principals.js";
import type { TokenService } from "./tokens.js";
import type { Refusal, SignInThrottle } from "./sign-in-throttle.js";

/** The tenant's one domain: every user principal name ends in it (Entra accepts only a verified domain). */
export const DEFAULT_DOMAIN = "kluis.local";
/** The administrator user made at first start; `az login -u admin` names it too. */
export const ADMIN_USER_PRINCIPAL_NAME = `admin@${DEFAULT_DOMAIN}`;
/** Entra's limits: a UPN of at most 113 characters, a password of 8 to 256. */
export const MAX_USER_PRINCIPAL_NAME = 113;
const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_LENGTH = 256;

/** The UPN a sign-in names: a bare name (`admin`) is a name in the tenant's domain. */
export const userPrincipalNameOf = (username: string) =>
  username.includes("@") ? username : `${username}@${DEFAULT_DOMAIN}`;

/** Why a new user's fields are refused, in Graph's words, or undefined when they are good. */
export function invalidNewUser(u: { userPrincipalName: string; password: string }): string | undefined {
  const at = u.userPrincipalName.lastIndexOf("@");
  const local = u.userPrincipalName.slice(0, at);
  if (
    at < 1 ||
    u.userPrincipalName.length > MAX_USER_PRINCIPAL_NAME ||
    !/^[A-Za-z0-9'.\-_!#^~]+$/.test(local) ||
    local.startsWith(".") ||
    local.endsWith(".")
  ) {
    return "Property userPrincipalName is invalid.";
  }
  if (u.userPrincipalName.slice(at + 1).toLowerCase() !== DEFAULT_DOMAIN) {
    return `The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization: ${DEFAULT_DOMAIN}.`;
  }
  return invalidPassword(u.password);
}

/** Why a password is refused, in Graph's words (Entra's rule: 8 to 256 characters, of at least three of lower case, upper case, digits and symbols). */
export function invalidPassword(password: string): string | undefined {
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((c) => c.test(password)).length;
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH || classes < 3) {
    return "The specified password does not comply with password complexity requirements. Please provide a different password.";
  }
  return undefined;
}

export async function createUser(
  store: Store,
  u: {
    userPrincipalName: string;
    displayName: string;
    mailNickname: string;
    password: string;
    accountEnabled?: boolean;
    isAdmin?: boolean;
  },
): Promise<UserRecord> {
  const record: UserRecord = {
    objectId: randomUUID(),
    userPrincipalName: u.userPrincipalName,
    displayName: u.displayName,
    mailNickname: u.mailNickname,
    passwordHash: await hashSecret(u.password),
    accountEnabled: u.accountEnabled ?? true,
    isAdmin: u.isAdmin ?? false,
    createdAt: Date.now(),
    credentialGeneration: 0,
  };
  await store.users.insert(record);
  return record;
}

/** A user by object id or by user principal name, as Graph's /users/{id | userPrincipalName} finds one. */
export async function findUser(store: Store, idOrUpn: string): Promise<UserRecord | undefined> {
  return idOrUpn.includes("@") ? store.users.getByPrincipalName(idOrUpn) : store.users.getByObjectId(idOrUpn);
}

/**
 * Changes a user (Graph's PATCH /users/{id}). A new password revokes the user's tokens and refresh tokens (its
 * credential generation moves on); a disabled account's are refused while it stays disabled (principal-states.ts).
 */
export async function updateUser(
  store: Store,
  tokens: TokenService,
  objectId: string,
  changes: { displayName?: string; mailNickname?: string; accountEnabled?: boolean; password?: string },
): Promise<boolean> {
  const { password, ...fields } = changes;
  const stored = { ...fields, ...(password !== undefined ? { passwordHash: await hashSecret(password) } : {}) };
  if (Object.values(stored).every((v) => v === undefined))
    return (await store.users.getByObjectId(objectId)) !== undefined;
  const updated = await store.users.update(objectId, stored);
  tokens.forgetPrincipal(objectId);
  return updated;
}

/**
 * Any hash of this shape costs what a real check costs: an unknown user name is checked against it, so that neither
 * the answer (AADSTS50126 for both) nor the time tells which user names exist.
 */
let unknownUserHash: Promise<string> | undefined;

/** Checks a user name and password, throttled as client secrets are (per user and per address). */
export async function authenticateUser(
  store: Store,
  throttle: SignInThrottle,
  username: string,
  password: string,
  address: string,
): Promise<UserRecord | "invalid-credentials" | "disabled" | Refusal> {
  const upn = userPrincipalNameOf(username);
  const user = upn.length <= MAX_USER_PRINCIPAL_NAME ? await store.users.getByPrincipalName(upn) : undefined;
  unknownUserHash ??= hashSecret(randomUUID());
  const hash = user?.passwordHash ?? (await unknownUserHash);
  const checked = await checkSecret(
    throttle,
    `user:${upn.toLowerCase().slice(0, MAX_USER_PRINCIPAL_NAME + 1)}`,
    address,
    password,
    hash,
  );
  if (checked !== true) return checked === false ? "invalid-credentials" : checked;
  if (!user) return "invalid-credentials";
  return user.accountEnabled ? user : "disabled";
}
