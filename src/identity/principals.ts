// Service principals: an application id, an object id, and a client secret kept only as a slow hash.
import { randomUUID } from "node:crypto";
import { hashSecret, newClientSecret, verifySecret } from "../crypto/passwords.js";
import type { PrincipalRecord } from "../store/repositories/principals.js";
import type { Store } from "../store/store.js";
import type { TokenService } from "./tokens.js";
import type { Refusal, SignInThrottle } from "./sign-in-throttle.js";
import type { VerifiedSecrets } from "./verified-secrets.js";

export interface NewServicePrincipal {
  appId: string;
  objectId: string;
  displayName: string;
  password: string;
}

export async function createServicePrincipal(
  store: Store,
  displayName: string,
  isAdmin = false,
): Promise<NewServicePrincipal> {
  const password = newClientSecret();
  const record: PrincipalRecord = {
    appId: randomUUID(),
    objectId: randomUUID(),
    displayName,
    secretHash: await hashSecret(password),
    isAdmin,
    createdAt: Date.now(),
    credentialGeneration: 0,
  };
  await store.principals.insert(record);
  return { appId: record.appId, objectId: record.objectId, displayName, password };
}

/**
 * A new client secret for an existing principal; the old one stops working at once, and so do the tokens issued
 * under it (the store moves the principal's credential generation on; tokens carry the one they were issued under,
 * and this process forgets what it cached of the principal).
 */
export async function resetServicePrincipalCredential(
  store: Store,
  tokens: TokenService,
  appId: string,
): Promise<{ principal: PrincipalRecord; password: string } | undefined> {
  if (!(await store.principals.getByAppId(appId))) return undefined;
  const password = newClientSecret();
  await store.principals.updateSecret(appId, await hashSecret(password));
  const principal = await store.principals.getByAppId(appId);
  if (!principal) return undefined; // deleted meanwhile
  tokens.forgetPrincipal(principal.objectId);
  return { principal, password };
}

/** What the token endpoint keeps between requests to check client secrets: verified secrets and the throttle. */
export interface SignIn {
  verified: VerifiedSecrets;
  throttle: SignInThrottle;
}

/** Longer secrets and passwords are refused without hashing them: Azure's, and Kluis's, secrets are 40 characters. */
export const MAX_SECRET_LENGTH = 256;

/**
 * Checks a client id and secret the way Azure AD does: an unknown application and a wrong secret are different
 * errors. A secret verified lately costs nothing; any other needs a scrypt hash, which the throttle may refuse.
 */
export async function authenticateClient(
  store: Store,
  signIn: SignIn,
  appId: string,
  secret: string,
  address: string,
): Promise<PrincipalRecord | "unknown-client" | "invalid-secret" | Refusal> {
  const principal = await store.principals.getByAppId(appId);
  if (!principal) return "unknown-client";
  if (signIn.verified.has(principal, secret)) return principal;
  const checked = await checkSecret(signIn.throttle, appId, address, secret, principal.secretHash);
  if (checked !== true) return checked === false ? "invalid-secret" : checked;
  signIn.verified.add(principal, secret);
  return principal;
}

/** One throttled scrypt check of `secret` against `hash` for `account` from `address`: true, false, or a refusal. */
export async function checkSecret(
  throttle: SignInThrottle,
  account: string,
  address: string,
  secret: string,
  hash: string,
): Promise<boolean | Refusal> {
  const admission = throttle.admit(account, address);
  if ("reason" in admission) return admission;
  let valid = false;
  try {
    await admission.ready;
    valid = secret.length <= MAX_SECRET_LENGTH && (await verifySecret(secret, hash));
  } finally {
    admission.done(valid);
  }
  return valid;
}
